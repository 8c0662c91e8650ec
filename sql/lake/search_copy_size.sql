-- in the index file: how many articles its copy holds
select count(*) as articles
from articles
