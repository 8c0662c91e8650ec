-- which of the given files (relation `wanted`: hash, their raw-byte hashes) the lake holds now
select distinct file_sha256
from issues
where file_sha256 in (select hash from wanted)
