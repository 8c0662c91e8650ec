-- upkeep: forget the snapshots older than $keep_days days (time travel reaches back that far;
-- the current snapshot is always kept)
call ducklake_expire_snapshots('lake', older_than => now() - to_days($keep_days::integer))
