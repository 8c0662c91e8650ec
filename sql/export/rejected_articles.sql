select * from rejected_articles
