insert into rejected_articles by name select * from incoming
