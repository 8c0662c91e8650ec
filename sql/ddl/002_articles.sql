-- accepted articles; rejected ones live in rejected_articles with the same columns
create table if not exists articles (
    article_id varchar not null,
    issue_sha256 varchar not null,
    issue_date date,
    paper varchar,
    seq integer not null,
    kicker varchar,
    headline varchar,
    subtitle varchar,
    byline varchar,
    dateline varchar,
    dateline_date date,
    body varchar not null,
    paragraphs varchar[] not null,
    subheads varchar[] not null,
    credits struct(role varchar, text varchar)[] not null,
    body_chars integer not null,
    body_hash varchar not null,
    duplicate_of varchar,
    tokens varchar,                     -- space-joined jieba segmentation of headline and body
    loaded_at timestamp not null
);

create table if not exists rejected_articles (
    article_id varchar not null,
    issue_sha256 varchar not null,
    issue_date date,
    paper varchar,
    seq integer not null,
    kicker varchar,
    headline varchar,
    subtitle varchar,
    byline varchar,
    dateline varchar,
    dateline_date date,
    body varchar not null,
    paragraphs varchar[] not null,
    subheads varchar[] not null,
    credits struct(role varchar, text varchar)[] not null,
    body_chars integer not null,
    body_hash varchar not null,
    duplicate_of varchar,
    tokens varchar,
    loaded_at timestamp not null,
    failed_checks varchar[] not null
);
