-- flows/query.py, last: no file outside the warehouse (and the allowed folders) is read or
-- written, nothing is fetched, and no statement can change a setting back (DuckDB's "Securing
-- DuckDB": both settings only ever restrict, and the lock holds every other one)
set enable_external_access = false;
set lock_configuration = true
