-- one row per person and role named in an article's byline (accepted or rejected article)
create table if not exists article_reporters (
    article_id varchar not null,
    issue_sha256 varchar not null,
    position integer not null,
    name varchar not null,
    role varchar not null               -- reporter | correspondent | intern | photographer | editor | author | commentator
);
