-- the lake's schema version: it changes whenever anyone creates, alters or replaces a table or view
select max(schema_version) as schema_version
from lake.snapshots()
