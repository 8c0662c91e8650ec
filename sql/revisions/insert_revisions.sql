insert into issue_revisions by name select * from incoming
