-- article_keywords with the issue date of its article, to partition by
with final as (
    select t.*, d.issue_date
    from article_keywords as t
    left join article_dates as d using (article_id)
)

select * from final
