select * from articles
