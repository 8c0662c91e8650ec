-- issues replaced by a later revision, partitioned by the date of the issue they were
select * from issue_revisions
