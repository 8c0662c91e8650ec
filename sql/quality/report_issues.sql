-- the issues a quality report covers (one date, a list of issues, or all), with live counts
with scope as (
    select sha256, issue_date, paper, source_file, loaded_at
    from issues
    where ($issue_date::date is null or issue_date = $issue_date::date)
      and ($issues::varchar[] is null or list_contains($issues::varchar[], sha256))
),

accepted as (
    select issue_sha256, count(*) as n from articles group by issue_sha256
),

rejected as (
    select issue_sha256, count(*) as n from rejected_articles group by issue_sha256
),

findings as (
    select issue_sha256, count(*) as n from quality_findings group by issue_sha256
),

final as (
    select
        s.issue_date,
        s.paper,
        s.source_file,
        s.sha256,
        coalesce(a.n, 0) as accepted,
        coalesce(r.n, 0) as rejected,
        coalesce(f.n, 0) as findings
    from scope as s
    left join accepted as a on a.issue_sha256 = s.sha256
    left join rejected as r on r.issue_sha256 = s.sha256
    left join findings as f on f.issue_sha256 = s.sha256
)

select * from final
order by issue_date, source_file
