insert into runs by name select * from incoming
