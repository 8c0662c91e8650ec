-- flows/bulk_load.py: the backfill's writer runs beside worker processes that keep every core
-- busy; DuckDB's own threads would only compete with them (one thread: a quarter less CPU a batch)
set threads = 1;
-- and its buffers are bounded: a checkpoint of a ten-year warehouse took the writer from 400 to
-- 900 MB unbounded, 470 MB at 64 MB, in the same time (python -m bench.writer_memory); beyond
-- the bound DuckDB evicts blocks it can read again and spills the rest to the warehouse's .tmp
set memory_limit = $memory_limit;
