-- one row per loaded issue, with its full raw text so nothing is ever lost
create table if not exists issues (
    sha256 varchar not null,            -- identity: sha256 of the canonical decoded text
    source_file varchar not null,
    file_sha256 varchar,                -- sha256 of the bytes as they arrived
    file_size bigint,
    paper varchar,
    issue_date date,
    issue_date_source varchar,          -- filename | option | datelines
    encoding varchar not null,
    lines integer not null,
    articles_total integer not null,
    articles_accepted integer not null,
    articles_rejected integer not null,
    residue_lines integer not null,
    findings integer not null,
    loaded_at timestamp not null,
    run_id varchar,
    raw_text varchar not null,
    residue varchar[] not null
);
