update issues
set articles_accepted = c.accepted, articles_rejected = c.rejected, findings = c.findings
from incoming as c
where issues.sha256 = c.sha256
