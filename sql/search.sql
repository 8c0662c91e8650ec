-- The state of a DuckDB file's BM25 index (flows/storage/fts.py).

-- name: index_changes
-- how the articles differ from what the index holds: articles it lacks, documents no longer articles
with indexed as (
    select name as article_id from fts_main_articles.docs
),

missing as (
    select article_id from articles
    anti join indexed using (article_id)
),

gone as (
    select article_id from indexed
    anti join articles using (article_id)
),

final as (
    select
        (select count(*) from missing) as missing,
        (select count(*) from gone) as gone
)

select * from final

-- name: index_exists
select count(*) = 1 as index_exists
from duckdb_tables()
where schema_name = 'fts_main_articles' and table_name = 'docs'
