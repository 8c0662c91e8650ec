-- sizes of the files already loaded (live, or replaced by a later revision): an archive file of
-- another size cannot be one of them
select file_size from issues where file_sha256 is not null
union
select file_size from issue_revisions where file_sha256 is not null
