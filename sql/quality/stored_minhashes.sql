-- stored signatures of one kind (the current shingling and MinHash parameters)
select article_id, minhash
from article_minhashes
where kind = $kind
