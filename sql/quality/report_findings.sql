-- every finding on the issues a quality report covers, with its article's headline
with scope as (
    select sha256, issue_date, source_file
    from issues
    where ($issue_date::date is null or issue_date = $issue_date::date)
      and ($issues::varchar[] is null or list_contains($issues::varchar[], sha256))
),

headlines as (
    select article_id, headline from articles
    union all
    select article_id, headline from rejected_articles
),

final as (
    select
        s.issue_date,
        s.source_file,
        f.article_id,
        f.seq,
        h.headline,
        f."check",
        f.severity,
        f.detail
    from quality_findings as f
    inner join scope as s on s.sha256 = f.issue_sha256
    left join headlines as h on h.article_id = f.article_id
)

select * from final
order by issue_date, source_file, seq nulls first, case severity when 'error' then 0 when 'warning' then 1 else 2 end, "check"
