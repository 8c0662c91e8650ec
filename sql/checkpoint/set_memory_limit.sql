-- flows/checkpoint.py: DuckDB's memory limit for a checkpoint, and back again after it
set memory_limit = $limit
