-- flows/checkpoint.py: the committed rows a checkpoint must write, as DuckDB holds them (in memory or spilled)
select coalesce(sum(memory_usage_bytes + temporary_storage_bytes), 0)
from duckdb_memory()
where tag in ('IN_MEMORY_TABLE', 'OVERFLOW_STRINGS')
