-- issues replaced by a later file for the same paper and date (a corrected or completed
-- copy): the earlier one, with its raw text, leaves `issues` and its articles; it is kept here
create table if not exists issue_revisions (
    sha256 varchar not null,            -- identity of the replaced issue (its canonical decoded text)
    source_file varchar not null,
    file_sha256 varchar,
    file_size bigint,
    paper varchar not null,
    issue_date date not null,
    issue_date_source varchar,
    encoding varchar not null,
    lines integer not null,
    loaded_at timestamp,                -- null: replaced in the batch that brought it, never live
    run_id varchar,
    raw_text varchar not null,
    residue varchar[] not null,
    replaced_by varchar not null,       -- sha256 of the issue that replaced it
    replaced_at timestamp not null,
    replaced_by_run varchar
);
