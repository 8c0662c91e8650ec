-- every article in the warehouse, accepted or rejected, of the issues from $since_date,
-- $since_sha on in issue-date order (all of them when both are null), in that order, with what
-- the checks read besides its own columns: its people's names and the parser's evidence ($evidence)
with scope as (
    select sha256, loaded_at
    from issues
    where $since_sha::varchar is null
       or (
           $since_date::date is not null
           and (issue_date > $since_date::date or (issue_date = $since_date::date and sha256 >= $since_sha))
       )
       or issue_date is null and ($since_date::date is not null or sha256 >= $since_sha)
),

stored as (
    select *, false as was_rejected from articles
    where issue_sha256 in (select sha256 from scope)
    union all by name
    select *, true as was_rejected from rejected_articles
    where issue_sha256 in (select sha256 from scope)
),

people as (
    select article_id, list(name order by position) as reporters
    from article_reporters
    where issue_sha256 in (select sha256 from scope)
    group by article_id
),

evidence as (
    select article_id, list({'check': "check", 'detail': detail} order by detail) as parse_findings
    from quality_findings
    where article_id is not null and list_contains($evidence::varchar[], "check")
      and issue_sha256 in (select sha256 from scope)
    group by article_id
),

final as (
    select
        s.*,
        coalesce(p.reporters, []::varchar[]) as reporters,
        coalesce(e.parse_findings, []::struct("check" varchar, detail varchar)[]) as parse_findings,
        c.loaded_at as issue_loaded_at
    from stored as s
    inner join scope as c on c.sha256 = s.issue_sha256
    left join people as p on p.article_id = s.article_id
    left join evidence as e on e.article_id = s.article_id
)

select * from final
order by issue_date nulls last, issue_sha256, seq
