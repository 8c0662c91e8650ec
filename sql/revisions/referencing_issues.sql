-- issues with an article that names one of some articles (relation `wanted`: hash, their ids)
-- as the earlier copy it duplicates: they are judged again when those articles go
with linked as (
    select issue_sha256, duplicate_of, near_duplicate_of from articles
    union all
    select issue_sha256, duplicate_of, near_duplicate_of from rejected_articles
)

select distinct i.issue_date, i.sha256
from linked as l
inner join issues as i on i.sha256 = l.issue_sha256
where l.duplicate_of in (select hash from wanted) or l.near_duplicate_of in (select hash from wanted)
