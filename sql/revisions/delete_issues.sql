-- remove replaced issues (relation `wanted`: hash, their sha256) from every live table; the
-- child tables keyed by article go first, while the articles still name their issue
delete from article_keywords where article_id in (
    select article_id from articles where issue_sha256 in (select hash from wanted)
    union all
    select article_id from rejected_articles where issue_sha256 in (select hash from wanted)
);
delete from article_entities where article_id in (
    select article_id from articles where issue_sha256 in (select hash from wanted)
    union all
    select article_id from rejected_articles where issue_sha256 in (select hash from wanted)
);
delete from article_reporters where issue_sha256 in (select hash from wanted);
delete from article_minhashes where issue_sha256 in (select hash from wanted);
delete from quality_findings where issue_sha256 in (select hash from wanted);
delete from articles where issue_sha256 in (select hash from wanted);
delete from rejected_articles where issue_sha256 in (select hash from wanted);
delete from issues where sha256 in (select hash from wanted)
