-- one row per data-quality finding; article_id is null for issue-level findings
create table if not exists quality_findings (
    issue_sha256 varchar not null,
    article_id varchar,
    seq integer,
    "check" varchar not null,
    severity varchar not null,          -- error | warning | info
    detail varchar,
    found_at timestamp not null
);

-- one row per flow run
create table if not exists runs (
    run_id varchar not null,
    flow_name varchar not null,
    started_at timestamp not null,
    ended_at timestamp,
    files_seen integer,
    files_loaded integer,
    files_skipped integer,
    files_failed integer,
    articles_accepted integer,
    articles_rejected integer,
    status varchar
);

-- files the pipeline could not read, left where they are, with the reason
create table if not exists failed_files (
    source_file varchar not null,
    file_sha256 varchar,
    file_size bigint,
    reason varchar not null,
    run_id varchar,
    failed_at timestamp not null
);
