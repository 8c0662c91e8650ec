insert into article_reporters by name select * from incoming
