-- wait (at most $ms) for the lake's writer lock, in the catalog's PostgreSQL database; the lock
-- is transaction-scoped, so it is released when this connection's transaction ends
call postgres_execute(
    $catalog,
    'set local lock_timeout = ' || $ms::bigint || '; select pg_advisory_xact_lock(' || $key::bigint || ')'
)
