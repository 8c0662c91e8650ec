-- an issue is loaded when it is live or was replaced by a later revision (then it stays replaced)
select
    exists (select 1 from issues where sha256 = $sha256)
    or exists (select 1 from issue_revisions where sha256 = $sha256) as loaded
