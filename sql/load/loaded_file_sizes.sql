-- sizes of the files already loaded: an archive file of another size cannot be one of them
select distinct file_size from issues where file_sha256 is not null
