-- PostgreSQL (psycopg): give back every claim of this session at once, before it closes (a
-- closed connection's locks go only when its server process has noticed)
select pg_advisory_unlock_all()
