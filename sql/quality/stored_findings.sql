-- the stored findings of some issues (relation `wanted`: hash, their sha256; all when $all),
-- for revalidation to keep what the checks cannot recompute
select issue_sha256, article_id, seq, "check", severity, detail, found_at
from quality_findings
where $all or issue_sha256 in (select hash from wanted)
order by issue_sha256, seq nulls first, "check"
