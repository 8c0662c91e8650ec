-- PostgreSQL (psycopg): a load's own locks, one after another in the (sorted) order given
select pg_advisory_xact_lock(key)
from unnest(%(keys)s::bigint[]) as key
