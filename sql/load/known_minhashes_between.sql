-- signatures of the articles (accepted or rejected) dated from $first to $last (all of them
-- when $first is null), with their issue's place in issue-date order
with stored as (
    select article_id, issue_date, issue_sha256, true as accepted from articles
    union all
    select article_id, issue_date, issue_sha256, false as accepted from rejected_articles
)

select m.article_id, m.minhash, s.issue_date, s.issue_sha256, s.accepted
from article_minhashes as m
inner join stored as s using (article_id)
where m.kind = $kind
  and ($first::date is null or s.issue_date between $first::date and $last::date)
order by s.issue_date, s.issue_sha256, m.article_id
