-- The load's short statements: the inserts of a batch's frames (registered as `incoming`),
-- what is loaded already, the writer's settings (flows/bulk_load.py, flows/load.py).

-- name: batch_writer_settings
-- flows/bulk_load.py: the backfill's writer runs beside worker processes that keep every core
-- busy; DuckDB's own threads would only compete with them (one thread: a quarter less CPU a batch)
set threads = 1;

-- its checkpoints do not try FSST on strings: DuckDB chose it for a sixth of the text segments
-- of a ten-year archive, and analysing it is much of a checkpoint's cost. Without it the writer
-- is faster and its peak lower, the file 4.2% larger, analysts' scans of the text as fast
-- (docs/storage.md)
set disabled_compression_methods = 'fsst';

-- name: insert_article_entities
insert into article_entities by name select * from incoming

-- name: insert_article_keywords
insert into article_keywords by name select * from incoming

-- name: insert_article_minhashes
insert into article_minhashes by name select * from incoming

-- name: insert_article_reporters
insert into article_reporters by name select * from incoming

-- name: insert_articles
insert into articles by name select * from incoming

-- name: insert_failed_files
insert into failed_files by name select * from incoming

-- name: insert_issues
insert into issues by name select * from incoming

-- name: insert_rejected_articles
insert into rejected_articles by name select * from incoming

-- name: insert_run
insert into runs by name select * from incoming

-- name: issue_is_loaded
-- an issue is loaded when it is live or was replaced by a later revision (then it stays replaced)
select
    exists (select 1 from issues where sha256 = $sha256)
    or exists (select 1 from issue_revisions where sha256 = $sha256) as loaded

-- name: loaded_file_hashes
-- raw-byte hashes of the files already loaded (live, or replaced by a later revision): a
-- backfill skips these without decoding them
select file_sha256 from issues where file_sha256 is not null
union
select file_sha256 from issue_revisions where file_sha256 is not null

-- name: loaded_file_sizes
-- sizes of the files already loaded (live, or replaced by a later revision): an archive file of
-- another size cannot be one of them
select file_size from issues where file_sha256 is not null
union
select file_size from issue_revisions where file_sha256 is not null

-- name: loaded_issues
-- which of the given issues (relation `wanted`: hash, their content hashes) are loaded already,
-- live or replaced by a later revision
select sha256 from issues where sha256 in (select hash from wanted)
union
select sha256 from issue_revisions where sha256 in (select hash from wanted)
