select count(*) = 1 as index_exists
from duckdb_tables()
where schema_name = 'fts_main_articles' and table_name = 'docs'
