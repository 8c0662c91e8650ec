insert into articles by name select * from incoming
