delete from rejected_articles where article_id in (select article_id from incoming)
