-- every stored finding, for revalidation to keep what the checks cannot recompute
select issue_sha256, article_id, seq, "check", severity, detail, found_at
from quality_findings
order by issue_sha256, seq nulls first, "check"
