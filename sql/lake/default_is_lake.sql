-- whether the connection's default database is a DuckLake
select count(*) = 1 as is_lake
from duckdb_databases()
where database_name = current_database() and type = 'ducklake'
