-- near-duplicate links beside the exact ones, on accepted and rejected articles alike
alter table articles add column if not exists near_duplicate_of varchar;
alter table rejected_articles add column if not exists near_duplicate_of varchar;

-- one MinHash signature per article body (accepted or rejected), so a later issue is compared
-- with the warehouse without re-reading old bodies; `kind` names the shingling and MinHash
-- parameters, and signatures of different kinds are never compared
create table if not exists article_minhashes (
    article_id varchar not null,
    issue_sha256 varchar not null,
    kind varchar not null,
    minhash uinteger[] not null
);
