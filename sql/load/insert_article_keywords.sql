insert into article_keywords by name select * from incoming
