-- raw-byte hashes of the files already loaded (live, or replaced by a later revision): a
-- backfill skips these without decoding them
select file_sha256 from issues where file_sha256 is not null
union
select file_sha256 from issue_revisions where file_sha256 is not null
