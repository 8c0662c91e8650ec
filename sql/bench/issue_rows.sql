-- bench/kill_resume.py: every row that belongs to an issue, table by table, as JSON, less what
-- says when or by which run it was written; `issue` is the first 16 characters of the issue's
-- content hash (an article id starts with them)
select 'issues' as "table", left(sha256, 16) as issue, to_json(t) as "row"
from (select * exclude (loaded_at, run_id) from issues) as t
union all
select 'articles', left(article_id, 16), to_json(t)
from (select * exclude (loaded_at) from articles) as t
union all
select 'rejected_articles', left(article_id, 16), to_json(t)
from (select * exclude (loaded_at) from rejected_articles) as t
union all
select 'article_reporters', left(article_id, 16), to_json(t) from article_reporters as t
union all
select 'article_minhashes', left(article_id, 16), to_json(t) from article_minhashes as t
union all
select 'article_terms', left(article_id, 16), to_json(t) from article_terms as t
union all
select 'article_keywords', left(article_id, 16), to_json(t) from article_keywords as t
union all
select 'article_entities', left(article_id, 16), to_json(t) from article_entities as t
union all
select 'quality_findings', left(issue_sha256, 16), to_json(t)
from (select * exclude (found_at) from quality_findings) as t
union all
select 'issue_revisions', left(sha256, 16), to_json(t)
from (select * exclude (loaded_at, run_id, replaced_at, replaced_by_run) from issue_revisions) as t
union all
select 'failed_files', source_file, to_json(t)
from (select distinct source_file, file_sha256, file_size, reason from failed_files) as t
