-- what the columns and tables added after 010_comments.sql hold (applied, like it, only when the
-- warehouse's comments differ: flows/load.py)
begin transaction;

comment on column runs.message is 'Why the run failed, as the console said it (a full disk, a read-only file system, a signal, files that could not be read); null when it completed.';

comment on table issue_revisions is 'Issues replaced by a later file for the same paper and date (a correction, or a whole copy after a half one): each kept whole, raw text included, and what replaced it. Never are two issues of one paper and date in issues.';
comment on column issue_revisions.sha256 is 'The replaced issue''s identity (as issues.sha256); a file with this content again is skipped as loaded.';
comment on column issue_revisions.source_file is 'The file it was read from.';
comment on column issue_revisions.file_sha256 is 'sha256 of the file''s bytes; a backfill skips that file unread.';
comment on column issue_revisions.file_size is 'The file''s size in bytes.';
comment on column issue_revisions.paper is 'The paper of the edition it was.';
comment on column issue_revisions.issue_date is 'The date of the edition it was.';
comment on column issue_revisions.issue_date_source is 'Where issue_date came from: filename | option | datelines.';
comment on column issue_revisions.encoding is 'The encoding the file was decoded from.';
comment on column issue_revisions.lines is 'Lines of decoded text.';
comment on column issue_revisions.loaded_at is 'When it was loaded; null if a later file replaced it in the same batch, before it was ever live.';
comment on column issue_revisions.run_id is 'The run that loaded it (or, never live, the run that replaced it).';
comment on column issue_revisions.raw_text is 'Its whole decoded text: nothing read is ever lost.';
comment on column issue_revisions.residue is 'Its lines that belonged to no article.';
comment on column issue_revisions.replaced_by is 'The issue that replaced it: issues.sha256 (or, replaced again since, issue_revisions.sha256).';
comment on column issue_revisions.replaced_at is 'When it was replaced.';
comment on column issue_revisions.replaced_by_run is 'The run that replaced it: runs.run_id.';

commit;
