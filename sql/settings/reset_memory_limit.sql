-- DuckDB's own memory limit (80% of the machine's memory): for a checkpoint that ran out of a
-- bounded one, which must not fail again (flows/checkpoint.py memory_for_checkpoint)
reset memory_limit
