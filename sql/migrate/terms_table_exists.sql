-- flows/load.py migrate: whether article_terms is still a table (a warehouse made before it was a view)
select count(*) > 0
from duckdb_tables()
where database_name = current_database() and schema_name = current_schema() and table_name = 'article_terms'
