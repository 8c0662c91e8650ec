-- every article in the warehouse, accepted or rejected, in load order, with what the checks
-- read besides its own columns: its people's names and the parser's evidence ($evidence)
with stored as (
    select *, false as was_rejected from articles
    union all by name
    select *, true as was_rejected from rejected_articles
),

people as (
    select article_id, list(name order by position) as reporters
    from article_reporters
    group by article_id
),

evidence as (
    select article_id, list({'check': "check", 'detail': detail} order by detail) as parse_findings
    from quality_findings
    where article_id is not null and list_contains($evidence::varchar[], "check")
    group by article_id
),

final as (
    select
        s.*,
        coalesce(p.reporters, []::varchar[]) as reporters,
        coalesce(e.parse_findings, []::struct("check" varchar, detail varchar)[]) as parse_findings,
        i.loaded_at as issue_loaded_at
    from stored as s
    inner join issues as i on i.sha256 = s.issue_sha256
    left join people as p on p.article_id = s.article_id
    left join evidence as e on e.article_id = s.article_id
)

select * from final
order by issue_loaded_at, issue_sha256, seq
