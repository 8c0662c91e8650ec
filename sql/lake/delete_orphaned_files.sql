-- upkeep: delete the files in the data path that the catalog never recorded (a writer that died
-- between writing a file and committing), once they are $keep_days days old
call ducklake_delete_orphaned_files('lake', older_than => now() - to_days($keep_days::integer))
