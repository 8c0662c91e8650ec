-- The checkpoint journal's short statements (flows/storage/checkpoint.py).

-- name: checkpoint
-- flows/storage/checkpoint.py: write the WAL into the database file (behind the journal)
checkpoint

-- name: database_file
-- flows/storage/checkpoint.py: the file behind the connection's default database (null in memory)
select path from duckdb_databases() where database_name = current_database()

-- name: uncheckpointed_bytes
-- flows/storage/checkpoint.py: the committed rows a checkpoint must write, as DuckDB holds them (in memory or spilled)
select coalesce(sum(memory_usage_bytes + temporary_storage_bytes), 0)
from duckdb_memory()
where tag in ('IN_MEMORY_TABLE', 'OVERFLOW_STRINGS')

-- name: block_size
-- flows/storage/read_copy.py: the size of the database file's blocks, each led by its checksum
select block_size from pragma_database_size() where database_name = current_database()
