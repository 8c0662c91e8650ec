-- DuckDB settings a connection reads or changes.

-- name: memory_limit
-- the connection's memory limit, to restore it after a step that changes it
-- (flows/storage/search.py: an index build; flows/storage/checkpoint.py: a checkpoint)
select current_setting('memory_limit')

-- name: quiet
-- no progress bar: DuckDB draws one on stdout for a statement slower than 2 s, into the middle
-- of a command's own output (a JSON summary, a CSV)
set enable_progress_bar = false

-- name: set_memory_limit
-- set DuckDB's memory limit: bounded, DuckDB spills to disk beyond it (an index build), or
-- raised for a step that must hold more (a checkpoint)
set memory_limit = $limit

-- name: memory_held
-- flows/storage/checkpoint.py bound_memory: what DuckDB's buffer manager holds now, in bytes
select coalesce(sum(memory_usage_bytes), 0) from duckdb_memory()
