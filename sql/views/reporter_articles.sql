-- one row per person and article they are credited on, accepted or rejected (the paper printed both)
create or replace view reporter_articles as
with all_articles as (
    select article_id, headline, body_chars, true as accepted from articles
    union all
    select article_id, headline, body_chars, false as accepted from rejected_articles
),

final as (
    select
        r.name,
        r.role,
        r.article_id,
        i.paper,
        i.issue_date,
        a.headline,
        a.body_chars,
        a.accepted
    from article_reporters as r
    inner join issues as i on i.sha256 = r.issue_sha256
    inner join all_articles as a using (article_id)
)

select * from final;

-- what it holds, for the catalog (replacing the view drops it: set again each time; a DuckLake
-- takes no comment on a view's columns, which are the tables' columns of the same names)
comment on view reporter_articles is 'One row per person and article they are credited on, accepted or rejected (the paper printed both); accepted: true for a row of articles.';
