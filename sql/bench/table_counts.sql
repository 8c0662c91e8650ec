-- bench/kill_checkpoints.py: what a warehouse holds, table by table
select
    (select count(*) from issues) as issues,
    (select count(*) from articles) as articles,
    (select count(*) from rejected_articles) as rejected_articles,
    (select count(*) from article_terms) as article_terms,
    (select count(*) from quality_findings) as quality_findings
