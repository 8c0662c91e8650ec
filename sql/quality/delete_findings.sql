delete from quality_findings where issue_sha256 in (select sha256 from incoming)
