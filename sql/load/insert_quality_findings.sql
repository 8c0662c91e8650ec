-- findings, with the check again as check_name and the date of their issue (loaded before them)
insert into quality_findings by name
select f.*, f."check" as check_name, i.issue_date
from incoming as f
left join issues as i on i.sha256 = f.issue_sha256
