-- the accepted articles, copied whole into the index file, so the search SQL (sql/search/)
-- finds there every column it ranks, shows or indexes
select *
from lake.main.articles
