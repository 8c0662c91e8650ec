-- columns added to tables after their first version (001-006 create them without): new and old
-- warehouses alike get them here

-- the words full-text search indexes: the segmentation plus the dictionary words inside each
-- long word (jieba's search mode), so 机器人 finds 手术机器人
alter table articles add column if not exists search_tokens varchar;
alter table rejected_articles add column if not exists search_tokens varchar;

-- the splitter's confidence in an article's boundaries and heading roles (0 to 1): the
-- lowest of its lines' (see the split_uncertain finding); null for articles loaded before it
alter table articles add column if not exists split_confidence double;
alter table rejected_articles add column if not exists split_confidence double;

-- why a run failed, in the words the console showed (a full disk, a signal, files that could
-- not be read); null for a run that completed
alter table runs add column if not exists message varchar;
