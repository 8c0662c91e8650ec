-- what every table and column holds, as the catalog shows it (`duckdb_columns()`, `.schema` in the
-- CLI, a notebook's schema browser); the views carry theirs in sql/views/. flows/load.py applies
-- this file only when the warehouse's comments differ from it (a new warehouse, a new column)
begin transaction;

comment on table issues is 'One row per loaded issue: its identity, source file, paper, date, counts, and its whole raw text, so nothing read is ever lost. Articles, findings and the other tables join it on issue_sha256 = issues.sha256.';
comment on column issues.sha256 is 'The issue''s identity: sha256 of its decoded text with BOM, line endings and trailing spaces folded (the same issue in another encoding is the same issue). Other tables call it issue_sha256.';
comment on column issues.source_file is 'The file the issue was read from, as the run saw it (path).';
comment on column issues.file_sha256 is 'sha256 of the file''s bytes as they arrived; a backfill skips a file whose bytes are already loaded without reading it.';
comment on column issues.file_size is 'The file''s size in bytes.';
comment on column issues.paper is 'The paper, from the file name without its date (qingdao-daily) or --paper.';
comment on column issues.issue_date is 'The issue''s date: from the file name, else --issue-date, else the day after the most common dateline date.';
comment on column issues.issue_date_source is 'Where issue_date came from: filename | option | datelines.';
comment on column issues.encoding is 'The encoding the file was decoded from (utf-8, utf-16, gb18030, …).';
comment on column issues.lines is 'Lines of decoded text.';
comment on column issues.articles_total is 'Articles found in the issue, accepted and rejected.';
comment on column issues.articles_accepted is 'Articles in articles.';
comment on column issues.articles_rejected is 'Articles in rejected_articles.';
comment on column issues.residue_lines is 'Lines that belong to no article (page headers, section names): kept in residue.';
comment on column issues.findings is 'Rows of quality_findings for this issue.';
comment on column issues.loaded_at is 'When the issue was loaded (local time of the loading machine).';
comment on column issues.run_id is 'The Prefect flow run that loaded it: runs.run_id, and the run''s id in the Prefect UI.';
comment on column issues.raw_text is 'The whole decoded text of the issue.';
comment on column issues.residue is 'The residue lines themselves, in order.';

comment on table articles is 'One row per accepted article. Rejected ones are in rejected_articles, with the same columns and failed_checks.';
comment on column articles.article_id is 'The article''s id: the first 16 hex digits of its issue''s sha256, a dash, its position (c7d28fa82826a231-001).';
comment on column articles.issue_sha256 is 'Its issue: joins issues.sha256.';
comment on column articles.issue_date is 'Its issue''s date (issues.issue_date).';
comment on column articles.paper is 'Its issue''s paper (issues.paper).';
comment on column articles.seq is 'Its position in the issue, from 1.';
comment on column articles.kicker is 'The line above the headline (引题), if any.';
comment on column articles.headline is 'The headline (主题).';
comment on column articles.subtitle is 'The line below the headline (副题), if any.';
comment on column articles.byline is 'The byline as printed (本报记者 …); the people and roles are in article_reporters.';
comment on column articles.dateline is 'The dateline as printed (本报讯 / 青岛12月29日讯 …).';
comment on column articles.dateline_date is 'The dateline''s date, resolved against the issue date.';
comment on column articles.body is 'The article''s text without heading, byline and dateline: its paragraphs joined by newlines.';
comment on column articles.paragraphs is 'The body''s paragraphs, in order (a paragraph cut by a page break joined again).';
comment on column articles.subheads is 'In-body subheads, in order.';
comment on column articles.credits is 'Credits, notes and jump lines kept beside the body: (role, text).';
comment on column articles.body_chars is 'Characters in body.';
comment on column articles.body_hash is 'Hash of the body blind to whitespace and punctuation width: equal bodies are duplicates.';
comment on column articles.duplicate_of is 'The earlier article with the same body_hash, if any.';
comment on column articles.tokens is 'The headline and body cut into words by the segmenter (rjieba with data/newspaper_dict.txt), space-joined.';
comment on column articles.loaded_at is 'When its issue was loaded.';
comment on column articles.near_duplicate_of is 'The earlier article whose body is nearly the same (MinHash Jaccard >= 0.7 within 30 days), if any.';
comment on column articles.search_tokens is 'tokens plus the dictionary words inside each long word: what full-text search indexes.';
comment on column articles.split_confidence is 'The splitter''s confidence in the article''s boundaries and heading roles, 0 to 1: the lowest of its lines'' (below NEWSPRINT_SPLIT_DOUBT, a split_uncertain finding); null for articles loaded before it was measured.';

comment on table rejected_articles is 'One row per rejected article: an error-severity check failed (see failed_checks and quality_findings). The same columns as articles.';
comment on column rejected_articles.article_id is 'The article''s id: the first 16 hex digits of its issue''s sha256, a dash, its position.';
comment on column rejected_articles.issue_sha256 is 'Its issue: joins issues.sha256.';
comment on column rejected_articles.issue_date is 'Its issue''s date (issues.issue_date).';
comment on column rejected_articles.paper is 'Its issue''s paper (issues.paper).';
comment on column rejected_articles.seq is 'Its position in the issue, from 1.';
comment on column rejected_articles.kicker is 'The line above the headline (引题), if any.';
comment on column rejected_articles.headline is 'The headline (主题).';
comment on column rejected_articles.subtitle is 'The line below the headline (副题), if any.';
comment on column rejected_articles.byline is 'The byline as printed; the people and roles are in article_reporters.';
comment on column rejected_articles.dateline is 'The dateline as printed.';
comment on column rejected_articles.dateline_date is 'The dateline''s date, resolved against the issue date.';
comment on column rejected_articles.body is 'The article''s text without heading, byline and dateline: its paragraphs joined by newlines.';
comment on column rejected_articles.paragraphs is 'The body''s paragraphs, in order.';
comment on column rejected_articles.subheads is 'In-body subheads, in order.';
comment on column rejected_articles.credits is 'Credits, notes and jump lines kept beside the body: (role, text).';
comment on column rejected_articles.body_chars is 'Characters in body.';
comment on column rejected_articles.body_hash is 'Hash of the body blind to whitespace and punctuation width.';
comment on column rejected_articles.duplicate_of is 'The earlier article with the same body_hash, if any (check body_not_duplicate).';
comment on column rejected_articles.tokens is 'The headline and body cut into words, space-joined.';
comment on column rejected_articles.loaded_at is 'When its issue was loaded.';
comment on column rejected_articles.failed_checks is 'The error-severity checks it failed (quality_findings.check_name).';
comment on column rejected_articles.near_duplicate_of is 'The earlier article whose body is nearly the same, if any.';
comment on column rejected_articles.search_tokens is 'tokens plus the dictionary words inside each long word (not indexed: rejected articles are not searched).';
comment on column rejected_articles.split_confidence is 'The splitter''s confidence in the article''s boundaries and heading roles, 0 to 1: the lowest of its lines'' (below NEWSPRINT_SPLIT_DOUBT, a split_uncertain finding); null for articles loaded before it was measured.';

comment on table article_reporters is 'One row per person and role named in an article''s byline or credits, accepted or rejected article.';
comment on column article_reporters.article_id is 'The article: articles.article_id or rejected_articles.article_id.';
comment on column article_reporters.issue_sha256 is 'Its issue: joins issues.sha256.';
comment on column article_reporters.position is 'Order of the person in the byline, from 1.';
comment on column article_reporters.name is 'The person''s name.';
comment on column article_reporters.role is 'reporter | correspondent | intern | photographer | editor | author | commentator.';

comment on table article_keywords is 'An article''s 10 top keywords by jieba''s TF-IDF (its shipped IDF table), bare numbers left out.';
comment on column article_keywords.article_id is 'The article: articles.article_id or rejected_articles.article_id.';
comment on column article_keywords.rank is 'Rank by weight, 1 = heaviest.';
comment on column article_keywords.keyword is 'The keyword.';
comment on column article_keywords.weight is 'Its TF-IDF weight: term frequency in the article times jieba''s IDF.';

comment on table article_entities is 'People, places and organisations named in an article, from the segmenter''s part-of-speech tags (nr, ns, nt), idioms and data/entity_stopwords.txt left out.';
comment on column article_entities.article_id is 'The article: articles.article_id or rejected_articles.article_id.';
comment on column article_entities.entity is 'The name.';
comment on column article_entities.kind is 'person | place | organisation.';
comment on column article_entities.count is 'Times it is named in the article.';

comment on table article_minhashes is 'One MinHash signature per article body, accepted or rejected, so later issues are compared with the warehouse without reading old bodies.';
comment on column article_minhashes.article_id is 'The article: articles.article_id or rejected_articles.article_id.';
comment on column article_minhashes.issue_sha256 is 'Its issue: joins issues.sha256.';
comment on column article_minhashes.kind is 'The shingling and MinHash parameters; signatures of different kinds are never compared.';
comment on column article_minhashes.minhash is 'The signature (datasketch MinHash of 5-character shingles).';

comment on table quality_findings is 'One row per data-quality finding on an issue or one of its articles. Severity error rejected the article; warning and info did not.';
comment on column quality_findings.issue_sha256 is 'Its issue: joins issues.sha256.';
comment on column quality_findings.article_id is 'The article it is about (null: about the issue).';
comment on column quality_findings.seq is 'The article''s position in the issue (null: about the issue).';
comment on column quality_findings."check" is 'The check (a reserved word: quote it, or use check_name).';
comment on column quality_findings.severity is 'error | warning | info, as configured in pyproject.toml [tool.newsprint.checks] or --checks.';
comment on column quality_findings.detail is 'What was found, in words.';
comment on column quality_findings.found_at is 'When the finding was made (its issue''s load, or a revalidation).';
comment on column quality_findings.check_name is 'The check (the same as "check", a name that needs no quoting).';
comment on column quality_findings.issue_date is 'Its issue''s date (issues.issue_date).';

comment on table runs is 'One row per flow run (daily-ingest, backfill) that opened the warehouse.';
comment on column runs.run_id is 'The Prefect flow run id: its page in the UI, and issues.run_id of the issues it loaded.';
comment on column runs.flow_name is 'daily-ingest | backfill.';
comment on column runs.started_at is 'When the run started.';
comment on column runs.ended_at is 'When it finished loading.';
comment on column runs.files_seen is 'Files it considered.';
comment on column runs.files_loaded is 'Files it loaded as new issues.';
comment on column runs.files_skipped is 'Files skipped: already loaded (by content), or still arriving and left for the next run.';
comment on column runs.files_failed is 'Files it could not load (in failed_files).';
comment on column runs.articles_accepted is 'Articles it loaded into articles.';
comment on column runs.articles_rejected is 'Articles it loaded into rejected_articles.';
comment on column runs.status is 'completed | failed (a file could not be loaded).';

comment on table failed_files is 'One row per file a run could not load, each time it tried: the file is left where it was.';
comment on column failed_files.source_file is 'The file (path).';
comment on column failed_files.file_sha256 is 'sha256 of its bytes, when they could be read.';
comment on column failed_files.file_size is 'Its size in bytes.';
comment on column failed_files.reason is 'Why it could not be loaded (empty file, binary file, mojibake, …).';
comment on column failed_files.run_id is 'The run that tried: runs.run_id.';
comment on column failed_files.failed_at is 'When it failed.';

commit;
