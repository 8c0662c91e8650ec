-- the check under a name that needs no quoting (`check` is a reserved word: `select check from
-- quality_findings` does not parse), and the date of the finding's issue; `check` stays for
-- the queries that use it. New rows get both as they are inserted (load/insert_quality_findings)
alter table quality_findings add column if not exists check_name varchar;
alter table quality_findings add column if not exists issue_date date;

-- rows from before these columns: filled from their own row and their issue
update quality_findings as f
set check_name = f."check", issue_date = i.issue_date
from issues as i
where f.check_name is null and i.sha256 = f.issue_sha256;
