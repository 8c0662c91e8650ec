-- Revalidation's short statements: an issue's counts and the rows it moves (flows/revalidate.py).

-- name: delete_articles
delete from articles where article_id in (select article_id from incoming)

-- name: delete_findings
delete from quality_findings where issue_sha256 in (select sha256 from incoming)

-- name: delete_other_minhashes
-- signatures of another kind can never be compared with the current ones
delete from article_minhashes where kind <> $kind

-- name: delete_rejected_articles
delete from rejected_articles where article_id in (select article_id from incoming)

-- name: issue_counts
-- accepted and rejected articles of one loaded issue, as committed
select
    (select count(*) from articles where issue_sha256 = $sha256) as accepted,
    (select count(*) from rejected_articles where issue_sha256 = $sha256) as rejected

-- name: stored_minhashes
-- stored signatures of one kind (the current shingling and MinHash parameters), of the
-- articles of some issues (relation `wanted`: hash, their sha256; all when $all)
select article_id, minhash
from article_minhashes
where kind = $kind and ($all or issue_sha256 in (select hash from wanted))
