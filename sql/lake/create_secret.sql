-- ATTACH accepts no parameters but a secret does: the lake is attached by this secret's name.
-- $catalog: a DuckDB file path or `postgres:<libpq conninfo>`; $data_path: where the Parquet
-- files go (empty: the one the catalog remembers, or `<catalog>.files/` for a new file catalog);
-- $metadata_schema: the catalog's PostgreSQL schema (empty: the default)
create or replace temporary secret newsprint_lake (
    type ducklake,
    metadata_path $catalog,
    data_path $data_path,
    metadata_schema $metadata_schema
)
