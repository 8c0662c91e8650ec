-- A DuckLake's short statements: attaching it, its maintenance, its search index copy
-- (flows/storage/warehouse.py, flows/storage/lake_maintenance.py, flows/storage/lake_search.py).

-- name: append_search_articles
-- in the index file: add the lake's new articles (incoming: a stream from the lake) to the copy
insert into articles by name
select * from incoming

-- name: article_ids
-- the ids of the lake's accepted articles, to compare with the search index's copy
select article_id
from lake.main.articles

-- name: attach
-- attach the lake (created on first use) for reading and writing
attach 'ducklake:newsprint_lake' as lake

-- name: attach_read_only
-- attach the lake for an analyst: every write is refused
attach 'ducklake:newsprint_lake' as lake (read_only)

-- name: cleanup_old_files
-- upkeep: delete the files that no kept snapshot uses any more, once they have been unused for
-- $keep_days days (a query still reading an older snapshot keeps its files meanwhile)
call ducklake_cleanup_old_files('lake', older_than => now() - to_days($keep_days::integer))

-- name: data_path
-- where the lake keeps its Parquet files, as its catalog remembers
select value as data_path
from ducklake_options('lake')
where option_name = 'data_path'

-- name: delete_gone_search_articles
-- in the index file: drop from the copy the articles the lake no longer holds as accepted
-- (relation `lake_ids`: the lake's article ids), as a revalidation moved them
delete from articles
where article_id not in (select article_id from lake_ids)

-- name: delete_orphaned_files
-- upkeep: delete the files in the data path that the catalog never recorded (a writer that died
-- between writing a file and committing), once they are $keep_days days old
call ducklake_delete_orphaned_files('lake', older_than => now() - to_days($keep_days::integer))

-- name: expire_snapshots
-- upkeep: forget the snapshots older than $keep_days days (time travel reaches back that far;
-- the current snapshot is always kept)
call ducklake_expire_snapshots('lake', older_than => now() - to_days($keep_days::integer))

-- name: flush_inlined_data
-- upkeep: write the rows DuckLake inlined into the catalog (inserts of a few rows, such as a
-- daily run's issue with its raw text) out to Parquet files
call ducklake_flush_inlined_data('lake')

-- name: loaded_files_among
-- which of the given files (relation `wanted`: hash, their raw-byte hashes) the lake holds now
select distinct file_sha256
from issues
where file_sha256 in (select hash from wanted)

-- name: merge_adjacent_files
-- upkeep: merge the small Parquet files that batch after batch leaves into larger ones
call ducklake_merge_adjacent_files('lake')

-- name: missing_search_ids
-- in the index file: the lake's articles (relation `lake_ids`) its copy lacks
select article_id
from lake_ids
anti join articles using (article_id)

-- name: replace_search_articles
-- the index file's copy of the searchable articles (incoming: a stream from the lake)
create or replace table articles as
select * from incoming

-- name: replace_search_source
-- the fingerprint of the lake's articles the copy was made from
create or replace table search_source as
select * from incoming


-- name: search_articles
-- the accepted articles, copied whole into the index file, so the search SQL (sql/search/)
-- finds there every column it ranks, shows or indexes
select *
from lake.main.articles

-- name: search_articles_wanted
-- the lake's accepted articles that the search index's copy lacks (relation `wanted`: article_id)
select *
from lake.main.articles
semi join wanted using (article_id)

-- name: search_copy_size
-- in the index file: how many articles its copy holds
select count(*) as articles
from articles

-- name: search_source
-- the fingerprint of the lake's articles the index file was built from
select articles, ids, last_loaded_at
from search_source

-- name: snapshot_count
-- how many snapshots the lake keeps (time travel can reach each of them)
select count(*) as snapshots
from lake.snapshots()

-- name: use_lake
-- unqualified table names mean the lake's tables, so the same SQL runs on a file and a lake
use lake
