-- the lake's accepted articles that the search index's copy lacks (relation `wanted`: article_id)
select *
from lake.main.articles
semi join wanted using (article_id)
