-- what the columns and tables added after 010_comments.sql hold (applied, like it, only when the
-- warehouse's comments differ: flows/load.py)
begin transaction;

comment on column runs.message is 'Why the run failed, as the console said it (a full disk, a read-only file system, a signal, files that could not be read); null when it completed.';

commit;
