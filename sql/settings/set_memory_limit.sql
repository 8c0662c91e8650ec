-- set DuckDB's memory limit: bounded, DuckDB spills to disk beyond it (an index build), or
-- raised for a step that must hold more (a checkpoint)
set memory_limit = $limit
