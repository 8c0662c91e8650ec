-- accepted and rejected articles of one loaded issue, as committed
select
    (select count(*) from articles where issue_sha256 = $sha256) as accepted,
    (select count(*) from rejected_articles where issue_sha256 = $sha256) as rejected
