-- article_minhashes with the issue date of its issue, to partition by
with final as (
    select m.*, i.issue_date
    from article_minhashes as m
    left join issues as i on i.sha256 = m.issue_sha256
)

select * from final
