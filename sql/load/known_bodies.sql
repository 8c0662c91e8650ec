-- earlier articles whose body hash matches one of the incoming ones (relation `wanted`: hash)
select body_hash, min(article_id) as article_id
from articles
where body_hash in (select hash from wanted)
group by body_hash
