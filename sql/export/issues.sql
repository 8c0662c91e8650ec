select * from issues
