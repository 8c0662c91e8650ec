insert into article_entities by name select * from incoming
