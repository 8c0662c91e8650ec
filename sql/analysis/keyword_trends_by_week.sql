-- Which keywords rise and fall? Per week, the ten keywords found in most articles, with the
-- change in articles from the week before.
with keyed as (
    select
        date_trunc('week', a.issue_date)::date as week,
        k.keyword,
        k.weight
    from article_keywords as k
    inner join articles as a using (article_id)
),

weekly as (
    select week, keyword, count(*) as articles, sum(weight) as weight
    from keyed
    group by week, keyword
),

with_previous as (
    select
        w.*,
        coalesce(p.articles, 0) as articles_week_before
    from weekly as w
    left join weekly as p
        on p.keyword = w.keyword and p.week = w.week - interval 7 day
),

ranked as (
    select
        *,
        row_number() over (partition by week order by articles desc, weight desc, keyword) as rank_in_week
    from with_previous
),

final as (
    select
        week,
        rank_in_week,
        keyword,
        articles,
        articles - articles_week_before as change,
        round(weight, 3) as weight
    from ranked
    where rank_in_week <= 10
)

select * from final
order by week, rank_in_week
