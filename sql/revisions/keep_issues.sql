-- keep replaced issues (relation `incoming`: sha256, replaced_by) in issue_revisions, raw text
-- and all, before their rows leave the live tables
insert into issue_revisions by name
select
    i.* exclude (articles_total, articles_accepted, articles_rejected, residue_lines, findings),
    r.replaced_by,
    $replaced_at as replaced_at,
    $run_id as replaced_by_run
from issues as i
inner join incoming as r on r.sha256 = i.sha256
