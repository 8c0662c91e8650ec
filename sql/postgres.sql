-- The lake writers' advisory locks, in PostgreSQL (flows/storage/lake_locks.py, flows/storage/lake_claims.py).

-- name: lock_timeout
-- PostgreSQL (psycopg), the writer's lock session: how long this transaction waits for a lock
select set_config('lock_timeout', %(ms)s, true)

-- name: release_all_claims
-- PostgreSQL (psycopg): give back every claim of this session at once, before it closes (a
-- closed connection's locks go only when its server process has noticed)
select pg_advisory_unlock_all()

-- name: release_claims
-- PostgreSQL (psycopg): give files back to the other writers
select pg_advisory_unlock(key)
from unnest(%(keys)s::bigint[]) as key

-- name: try_claims
-- PostgreSQL (psycopg): claim the files no other writer holds, never waiting (session locks)
select key, pg_try_advisory_lock(key) as taken
from unnest(%(keys)s::bigint[]) as key
