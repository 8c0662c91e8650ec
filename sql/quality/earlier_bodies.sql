-- for a replay that starts at the issue ($since_date, $since_sha) in issue-date order: the
-- earliest accepted article before it with each of some body hashes (relation `wanted`: hash)
with earlier as (
    select body_hash, article_id, issue_date, issue_sha256, seq
    from articles
    where body_hash in (select hash from wanted)
      and (
          ($since_date::date is not null
           and (issue_date < $since_date::date or (issue_date = $since_date::date and issue_sha256 < $since_sha)))
          or ($since_date::date is null and (issue_date is not null or issue_sha256 < $since_sha))
      )
)

select body_hash, arg_min(article_id, (issue_date is null, coalesce(issue_date, date '0001-01-01'), issue_sha256, seq))
from earlier
group by body_hash
