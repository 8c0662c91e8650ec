-- PostgreSQL (psycopg): give files back to the other writers
select pg_advisory_unlock(key)
from unnest(%(keys)s::bigint[]) as key
