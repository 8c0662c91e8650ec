-- flows/load.py migrate: the counts are the view's (sql/views/article_terms.sql), from the stored tokens
drop table article_terms
