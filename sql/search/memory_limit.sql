-- the connection's memory limit, to restore it after an index build (flows/search.py)
select current_setting('memory_limit')
