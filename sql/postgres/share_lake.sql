-- PostgreSQL (psycopg): the whole lake, shared with the other loads
select pg_advisory_xact_lock_shared(%(key)s)
