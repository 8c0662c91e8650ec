-- upkeep: delete the files that no kept snapshot uses any more, once they have been unused for
-- $keep_days days (a query still reading an older snapshot keeps its files meanwhile)
call ducklake_cleanup_old_files('lake', older_than => now() - to_days($keep_days::integer))
