-- A revision's short statements (flows/revisions.py).

-- name: insert_revisions
insert into issue_revisions by name select * from incoming

-- name: issue_articles
-- the articles of some issues (relation `wanted`: hash, their sha256), accepted or rejected
select article_id from articles where issue_sha256 in (select hash from wanted)
union all
select article_id from rejected_articles where issue_sha256 in (select hash from wanted)
