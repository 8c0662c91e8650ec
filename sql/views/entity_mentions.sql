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

-- what it holds, for the catalog (replacing the view drops it: set again each time; a DuckLake
-- takes no comment on a view's columns, which are the tables' columns of the same names)
comment on view entity_mentions is 'One row per named entity (person, place, organisation) and accepted article that names it; mentions: how many times.';
