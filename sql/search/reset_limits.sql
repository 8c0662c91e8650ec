-- back to DuckDB's default memory limit for the rest of the connection
reset memory_limit
