-- quality_findings with the issue date of its issue, to partition by
with final as (
    select f.*, i.issue_date
    from quality_findings as f
    left join issues as i on i.sha256 = f.issue_sha256
)

select * from final
