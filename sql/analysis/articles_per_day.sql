-- How much does each paper print per day? Issues, articles accepted and rejected, characters.
with issue_days as (
    select
        issue_date,
        paper,
        count(*) as issues,
        sum(articles_total) as articles,
        sum(articles_accepted) as accepted,
        sum(articles_rejected) as rejected,
        sum(residue_lines) as residue_lines
    from issues
    group by issue_date, paper
),

chars as (
    select issue_date, paper, sum(body_chars) as chars, round(avg(body_chars)) as avg_chars
    from articles
    group by issue_date, paper
),

final as (
    select
        d.issue_date,
        d.paper,
        d.issues,
        d.articles,
        d.accepted,
        d.rejected,
        coalesce(c.chars, 0) as chars,
        c.avg_chars,
        d.residue_lines
    from issue_days as d
    left join chars as c using (issue_date, paper)
)

select * from final
order by issue_date, paper
