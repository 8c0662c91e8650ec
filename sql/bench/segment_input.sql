-- the text the pipeline segments, one row per article (accepted or rejected), in issue order
with every_article as (
    select issue_sha256, seq, headline, body from articles
    union all
    select issue_sha256, seq, headline, body from rejected_articles
),

final as (
    select
        issue_sha256,
        coalesce(headline, '') || chr(10) || body as text
    from every_article
    order by issue_sha256, seq
)

select * from final
