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

-- what it holds, for the catalog (replacing the view drops it: set again each time; a DuckLake
-- takes no comment on a view's columns, which are the tables' columns of the same names)
comment on view article_dates is 'Every article, accepted or rejected, with its issue''s date and paper: the key child tables join on. accepted: true for a row of articles, false for one of rejected_articles.';
