-- the warehouse's tables (not views, not the search index's)
select table_name
from duckdb_tables()
where schema_name = 'main'
order by table_name
