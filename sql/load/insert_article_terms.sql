insert into article_terms by name select * from incoming
