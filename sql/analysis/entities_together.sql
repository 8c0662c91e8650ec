-- Who and what appear together? Pairs of named entities mentioned in the same article.
with mentions as (
    select distinct article_id, entity, kind
    from entity_mentions
),

pairs as (
    select
        a.entity as entity_a,
        a.kind as kind_a,
        b.entity as entity_b,
        b.kind as kind_b,
        count(*) as articles,
        min(m.issue_date) as first_seen,
        max(m.issue_date) as last_seen
    from mentions as a
    inner join mentions as b
        on a.article_id = b.article_id and a.entity < b.entity
    inner join articles as m
        on m.article_id = a.article_id
    group by all
),

final as (
    select * from pairs
    order by articles desc, entity_a, entity_b
    limit 30
)

select * from final
