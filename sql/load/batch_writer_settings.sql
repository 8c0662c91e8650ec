-- flows/bulk_load.py: the backfill's writer runs beside worker processes that keep every core
-- busy; DuckDB's own threads would only compete with them (one thread: a quarter less CPU a batch)
set threads = 1;

-- its checkpoints do not try FSST on strings: DuckDB chose it for a sixth of the text segments
-- of a ten-year archive, and analysing it is much of a checkpoint's cost. Without it the writer
-- is faster and its peak lower, the file 4.2% larger, analysts' scans of the text as fast
-- (docs/storage.md)
set disabled_compression_methods = 'fsst';

-- and its buffers are bounded: a checkpoint of a ten-year warehouse took the writer from 400 to
-- 900 MB unbounded, 470 MB at 64 MB, in the same time (python -m bench.writer_memory); beyond
-- the bound DuckDB evicts blocks it can read again and spills the rest to the warehouse's .tmp
-- (the last statement: DuckDB takes parameters only there)
set memory_limit = $memory_limit;
