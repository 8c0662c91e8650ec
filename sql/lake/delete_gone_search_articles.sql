-- in the index file: drop from the copy the articles the lake no longer holds as accepted
-- (relation `lake_ids`: the lake's article ids), as a revalidation moved them
delete from articles
where article_id not in (select article_id from lake_ids)
