-- PostgreSQL (psycopg), the writer's lock session: how long this transaction waits for a lock
select set_config('lock_timeout', %(ms)s, true)
