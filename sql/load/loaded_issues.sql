-- which of the given issues (content hashes) are loaded already
select sha256
from issues
where sha256 in (select unnest($hashes::varchar[]))
