-- Export queries of one table each, read whole (flows/reports/export.py); longer ones are sql/export/<table>.sql.

-- name: articles
select * from articles

-- name: failed_files
-- files that could not be read belong to no issue: exported whole
select * from failed_files

-- name: issue_revisions
-- issues replaced by a later revision, partitioned by the date of the issue they were
select * from issue_revisions

-- name: issues
select * from issues

-- name: quality_findings
-- quality_findings, partitioned by the issue date each row carries
select * from quality_findings

-- name: rejected_articles
select * from rejected_articles

-- name: runs
-- runs belong to no issue: exported whole
select * from runs
