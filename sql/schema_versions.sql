-- Which versions of the schema files (sql/ddl, sql/views, sql/migrate.sql) a warehouse has had
-- applied (flows/storage/connection.py apply_ddl): a writer applies them only when they changed.
-- Kept in the schema `newsprint`, out of the analysts' `main`, so their tables and the export
-- stay as they are.

-- name: create
create schema if not exists newsprint;
create table if not exists newsprint.schema_versions (digest varchar, applied_at timestamp);

-- name: applied
-- whether the schema files of this digest were applied
select count(*) > 0 as applied
from newsprint.schema_versions
where digest = $digest

-- name: record
-- note that the schema files of this digest are applied (in the transaction that applied them)
insert into newsprint.schema_versions values ($digest, now()::timestamp)
