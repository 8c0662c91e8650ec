-- bench/kill_resume.py: issues whose articles are not all there (a load cut in half): none, ever
select i.source_file
from issues as i
where i.articles_total <> (select count(*) from articles as a where a.issue_sha256 = i.sha256)
    + (select count(*) from rejected_articles as r where r.issue_sha256 = i.sha256)
