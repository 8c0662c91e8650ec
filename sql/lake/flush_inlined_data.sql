-- upkeep: write the rows DuckLake inlined into the catalog (inserts of a few rows, such as a
-- daily run's issue with its raw text) out to Parquet files
call ducklake_flush_inlined_data('lake')
