-- the ids of the lake's accepted articles, to compare with the search index's copy
select article_id
from lake.main.articles
