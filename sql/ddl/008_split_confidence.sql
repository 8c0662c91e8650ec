-- the splitter's confidence in an article's boundaries and heading roles (0 to 1): the
-- lowest of its lines' (see the split_uncertain finding); null for articles loaded before it
alter table articles add column if not exists split_confidence double;
alter table rejected_articles add column if not exists split_confidence double;
