-- earlier articles whose body hash matches one of the incoming ones
select body_hash, min(article_id) as article_id
from articles
where body_hash in (select unnest($hashes::varchar[]))
group by body_hash
