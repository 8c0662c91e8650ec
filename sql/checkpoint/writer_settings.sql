-- flows/checkpoint.py: a writer checkpoints only through the journal, never on its own
set checkpoint_threshold = '1000TB';
pragma disable_checkpoint_on_shutdown;

-- and compresses long texts (bodies, tokens, raw text: hundreds of bytes and up) with zstd when
-- it checkpoints, rather than only those averaging 4 KB (DuckDB's default): 2.5 times smaller
-- than uncompressed (a warehouse file made in flows/warehouse.STORAGE_VERSION; an older
-- format has no zstd and ignores this)
set zstd_min_string_length = 256;
