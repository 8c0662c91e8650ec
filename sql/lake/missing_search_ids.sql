-- in the index file: the lake's articles (relation `lake_ids`) its copy lacks
select article_id
from lake_ids
anti join articles using (article_id)
