-- The benchmarks' short statements (bench/).

-- name: copy_one_row
-- append a copy of one row of {table} (its article id made new where it has one), for
-- bench/checkpoint_memory.py; {table} is one of the script's fixed table names
insert into {table} select {columns} from {table} limit 1

-- name: issue_count
-- how many issues a warehouse holds
select count(*) from issues

-- name: row_count
-- bench/floor.py: the rows of one table, named by a parameter
select count(*) from query_table($table)
