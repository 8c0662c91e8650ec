-- article_reporters with the issue date of its issue, to partition by
with final as (
    select r.*, i.issue_date
    from article_reporters as r
    left join issues as i on i.sha256 = r.issue_sha256
)

select * from final
