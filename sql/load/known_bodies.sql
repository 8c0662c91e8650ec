-- every article, accepted or rejected, whose body hash matches an incoming one (relation
-- `wanted`: hash), with its issue's place in issue-date order: the load judges an incoming
-- article against the accepted ones of earlier issues, and finds the later issues it changes
select a.body_hash, a.article_id, a.issue_date, a.issue_sha256, true as accepted
from articles as a
where a.body_hash in (select hash from wanted)
union all
select r.body_hash, r.article_id, r.issue_date, r.issue_sha256, false as accepted
from rejected_articles as r
where r.body_hash in (select hash from wanted)
