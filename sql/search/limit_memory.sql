-- bound DuckDB's memory on this connection (an index build spills to disk beyond it)
set memory_limit = $limit
