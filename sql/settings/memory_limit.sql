-- the connection's memory limit, to restore it after a step that changes it
-- (flows/search.py: an index build; flows/checkpoint.py: a checkpoint)
select current_setting('memory_limit')
