-- append a copy of one row of {table} (its article id made new where it has one), for
-- bench/checkpoint_memory.py; {table} is one of the script's fixed table names
insert into {table} select {columns} from {table} limit 1
