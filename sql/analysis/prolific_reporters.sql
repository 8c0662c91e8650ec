-- Who writes the most? Articles and characters per reporter, with their first and last issue.
with bylines as (
    select * from reporter_articles
    where role = 'reporter'
),

per_reporter as (
    select
        name,
        count(distinct article_id) as articles,
        count(distinct article_id) filter (where accepted) as accepted,
        sum(body_chars) as chars,
        string_agg(distinct paper, ', ') as papers,
        min(issue_date) as first_issue,
        max(issue_date) as last_issue
    from bylines
    group by name
),

final as (
    select * from per_reporter
    order by articles desc, chars desc, name
    limit 20
)

select * from final
