-- PostgreSQL (psycopg): a load's locks, one after another in the order given (sorted by key),
-- each alone or shared; they last until the transaction ends
select
    case
        when shared then pg_advisory_xact_lock_shared(key)
        else pg_advisory_xact_lock(key)
    end
from unnest(%(keys)s::bigint[], %(shared)s::boolean[]) as k (key, shared)
