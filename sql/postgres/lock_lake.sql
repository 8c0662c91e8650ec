-- PostgreSQL (psycopg): the whole lake, alone (the schema, an undated issue, revalidation, upkeep)
select pg_advisory_xact_lock(%(key)s)
