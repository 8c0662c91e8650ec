-- how often each check fired, by severity, over the issues a quality report covers
with scope as (
    select sha256
    from issues
    where ($issue_date::date is null or issue_date = $issue_date::date)
      and ($issues::varchar[] is null or list_contains($issues::varchar[], sha256))
),

final as (
    select f."check", f.severity, count(*) as count
    from quality_findings as f
    inner join scope as s on s.sha256 = f.issue_sha256
    group by f."check", f.severity
)

select * from final
order by case severity when 'error' then 0 when 'warning' then 1 else 2 end, "check"
