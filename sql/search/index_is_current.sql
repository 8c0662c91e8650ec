-- the index is current when it holds exactly the articles there are now
with indexed as (
    select name as article_id from fts_main_articles.docs
),

missing as (
    select article_id from articles
    anti join indexed using (article_id)
),

final as (
    select
        (select count(*) from indexed) = (select count(*) from articles)
        and (select count(*) from missing) = 0 as is_current
)

select * from final
