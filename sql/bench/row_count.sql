-- bench/floor.py: the rows of one table, named by a parameter
select count(*) from query_table($table)
