insert into issues by name select * from incoming
