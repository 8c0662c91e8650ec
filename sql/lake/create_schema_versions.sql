-- which versions of the schema files were applied to the lake; kept out of `main`, so the
-- analysts' tables and the export stay as on a DuckDB file
create schema if not exists newsprint;
create table if not exists newsprint.schema_versions (digest varchar, applied_at timestamp);
