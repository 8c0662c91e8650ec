-- What surrounds the articles? Per issue day: kickers, subtitles, subheads, datelines, bylines
-- by role, production credits by role and residue lines (text that belongs to no article).
with all_articles as (
    select issue_date, paper, kicker, subtitle, subheads, dateline, credits from articles
    union all
    select issue_date, paper, kicker, subtitle, subheads, dateline, credits from rejected_articles
),

headings as (
    select issue_date, paper, 'heading' as furniture, 'kicker' as role, count(kicker) as items
    from all_articles group by all
    union all
    select issue_date, paper, 'heading', 'subtitle', count(subtitle)
    from all_articles group by all
    union all
    select issue_date, paper, 'heading', 'subhead', sum(len(subheads))
    from all_articles group by all
    union all
    select issue_date, paper, 'dateline', 'dateline', count(dateline)
    from all_articles group by all
),

bylines as (
    select i.issue_date, i.paper, 'byline' as furniture, r.role, count(*) as items
    from article_reporters as r
    inner join issues as i on i.sha256 = r.issue_sha256
    group by all
),

credits as (
    select issue_date, paper, 'credit' as furniture, credit.role, count(*) as items
    from (select issue_date, paper, unnest(credits) as credit from all_articles)
    group by all
),

residue as (
    select issue_date, paper, 'residue' as furniture, 'line' as role, sum(len(residue)) as items
    from issues
    group by all
),

final as (
    select * from headings
    union all select * from bylines
    union all select * from credits
    union all select * from residue
)

select * from final
where items > 0
order by issue_date, paper, furniture, items desc, role
