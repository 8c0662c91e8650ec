-- stored signatures of one kind (the current shingling and MinHash parameters), of the
-- articles of some issues (relation `wanted`: hash, their sha256; all when $all)
select article_id, minhash
from article_minhashes
where kind = $kind and ($all or issue_sha256 in (select hash from wanted))
