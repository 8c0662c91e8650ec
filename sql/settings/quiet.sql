-- no progress bar: DuckDB draws one on stdout for a statement slower than 2 s, into the middle
-- of a command's own output (a JSON summary, a CSV)
set enable_progress_bar = false
