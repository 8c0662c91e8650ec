-- article_terms with the issue date of its article, to partition by
with final as (
    select t.*, d.issue_date
    from article_terms as t
    left join article_dates as d using (article_id)
)

select * from final
