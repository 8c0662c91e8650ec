-- flows/storage/checkpoint.py: a writer checkpoints only through the journal, never on its own
set checkpoint_threshold = '1000TB';
pragma disable_checkpoint_on_shutdown;

-- and compresses long texts (bodies, tokens, raw text: hundreds of bytes and up) with zstd when
-- it checkpoints, rather than only those averaging 4 KB (DuckDB's default): 2.5 times smaller
-- than uncompressed (a warehouse file made in flows/warehouse.STORAGE_VERSION; an older
-- format has no zstd and ignores this)
set zstd_min_string_length = 256;

-- and its checkpoints do not merge the row groups the loads appended (DuckDB's vacuum): merging
-- rewrote the archive's tail at every checkpoint as it grew (a year of real issues: 1.5 s a
-- checkpoint by the 250th issue, and the file half free blocks after a run's end); unmerged, a
-- checkpoint writes what was appended (a row group per table and checkpoint)
set max_vacuum_tasks = 0;
