insert into article_minhashes by name select * from incoming
