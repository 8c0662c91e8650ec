-- flows/bulk_load.py: the backfill's writer runs beside worker processes that keep every core
-- busy; DuckDB's own threads would only compete with them (one thread: a quarter less CPU a batch)
set threads = 1;
