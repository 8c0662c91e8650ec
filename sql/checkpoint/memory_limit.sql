-- flows/checkpoint.py: DuckDB's memory limit now, to restore it after a checkpoint
select current_setting('memory_limit')
