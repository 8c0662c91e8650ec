-- live issues of the same paper and date as an incoming one (relation `incoming`: sha256,
-- paper, issue_date), other than itself: the incoming issue replaces them
select i.sha256, i.source_file, c.sha256 as replaced_by
from issues as i
inner join incoming as c on i.paper = c.paper and i.issue_date = c.issue_date
where i.sha256 <> c.sha256
