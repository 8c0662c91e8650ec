-- rejected articles of the issues a quality report covers, with the checks they failed
with scope as (
    select sha256, issue_date, source_file
    from issues
    where ($issue_date::date is null or issue_date = $issue_date::date)
      and ($issues::varchar[] is null or list_contains($issues::varchar[], sha256))
),

final as (
    select
        s.issue_date,
        s.source_file,
        r.article_id,
        r.seq,
        r.headline,
        r.failed_checks,
        r.duplicate_of,
        r.near_duplicate_of
    from rejected_articles as r
    inner join scope as s on s.sha256 = r.issue_sha256
)

select * from final
order by issue_date, source_file, seq
