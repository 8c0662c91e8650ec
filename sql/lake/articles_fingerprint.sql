-- what the search index was built from: how many accepted articles, which ones, loaded when
select
    count(*) as articles,
    coalesce(bit_xor(hash(article_id)), 0) as ids,
    max(loaded_at) as last_loaded_at
from articles
