-- PostgreSQL (psycopg): claim the files no other writer holds, never waiting (session locks)
select key, pg_try_advisory_lock(key) as taken
from unnest(%(keys)s::bigint[]) as key
