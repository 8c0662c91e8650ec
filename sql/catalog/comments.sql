-- the comment of every table and column of the database in use, named `table` or `table.column`
-- (flows/load.py compares them with sql/ddl/*_comments.sql before applying it)
select table_name as name, comment
from duckdb_tables()
where database_name = current_database() and schema_name = 'main'

union all

select table_name || '.' || column_name as name, comment
from duckdb_columns()
where database_name = current_database() and schema_name = 'main'
