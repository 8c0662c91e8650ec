-- the words full-text search indexes: the segmentation plus the dictionary words inside each
-- long word (jieba's search mode), so 机器人 finds 手术机器人
alter table articles add column if not exists search_tokens varchar;
alter table rejected_articles add column if not exists search_tokens varchar;
