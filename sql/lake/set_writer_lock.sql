-- the advisory-lock key that serialises the loads of writers sharing a PostgreSQL catalog
set variable newsprint_writer_lock = $key::bigint
