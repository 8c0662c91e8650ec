-- every article, accepted or rejected, with its issue's date and paper: the key child tables join on
create or replace view article_dates as
with accepted as (
    select article_id, issue_sha256, issue_date, paper, true as accepted
    from articles
),

rejected as (
    select article_id, issue_sha256, issue_date, paper, false as accepted
    from rejected_articles
),

final as (
    select * from accepted
    union all
    select * from rejected
)

select * from final;
