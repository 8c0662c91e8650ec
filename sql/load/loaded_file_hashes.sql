-- raw-byte hashes of the files already loaded: a backfill skips these without decoding them
select distinct file_sha256 from issues where file_sha256 is not null
