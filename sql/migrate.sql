-- Migrations of a warehouse made by an older schema (flows/storage/connection.py).

-- name: drop_terms_table
-- flows/load.py migrate: the counts are the view's (sql/views/article_terms.sql), from the stored tokens
drop table article_terms

-- name: terms_table_exists
-- flows/load.py migrate: whether article_terms is still a table (a warehouse made before it was a view)
select count(*) > 0
from duckdb_tables()
where database_name = current_database() and schema_name = current_schema() and table_name = 'article_terms'
