-- which of the given issues (relation `wanted`: hash, their content hashes) are loaded already,
-- live or replaced by a later revision
select sha256 from issues where sha256 in (select hash from wanted)
union
select sha256 from issue_revisions where sha256 in (select hash from wanted)
