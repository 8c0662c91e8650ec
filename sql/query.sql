-- The read-only connection of `newsprint sql` (flows/query.py).

-- name: allowed_directories
-- flows/query.py: the folders an analyst's query may read besides the warehouse (`--read-files`)
set allowed_directories = $directories

-- name: lock_down
-- flows/query.py, last: no file outside the warehouse (and the allowed folders) is read or
-- written, nothing is fetched, and no statement can change a setting back (DuckDB's "Securing
-- DuckDB": both settings only ever restrict, and the lock holds every other one)
set enable_external_access = false;
set lock_configuration = true

-- name: offline
-- flows/query.py: an analyst's connection never installs or loads an extension it was not given
set autoinstall_known_extensions = false;
set autoload_known_extensions = false;
set allow_community_extensions = false

-- name: serialize
-- flows/query.py: DuckDB's own parse of one analyst statement, as JSON, to find the functions it calls
select json_serialize_sql($query)
