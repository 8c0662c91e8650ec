-- the warehouse's tables (not the analyst views, not the search index's), and article_terms: a
-- view now (it counts the stored tokens), exported as the table it stands for
with tables as (
    select table_name from duckdb_tables() where schema_name = 'main'
    union
    select view_name from duckdb_views() where schema_name = 'main' and view_name = 'article_terms'
)

select table_name
from tables
order by table_name
