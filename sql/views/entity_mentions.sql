-- one row per named entity and accepted article that mentions it
create or replace view entity_mentions as
with final as (
    select
        e.entity,
        e.kind,
        e.count as mentions,
        a.article_id,
        a.paper,
        a.issue_date,
        a.headline
    from article_entities as e
    inner join articles as a using (article_id)
)

select * from final;
