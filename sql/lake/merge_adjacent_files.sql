-- upkeep: merge the small Parquet files that batch after batch leaves into larger ones
call ducklake_merge_adjacent_files('lake')
