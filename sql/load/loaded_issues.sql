-- which of the given issues (relation `wanted`: hash, their content hashes) are loaded already
select sha256
from issues
where sha256 in (select hash from wanted)
