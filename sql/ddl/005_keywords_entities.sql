-- top TF-IDF keywords of an article (headline and body), rank 1 = heaviest
create table if not exists article_keywords (
    article_id varchar not null,
    rank integer not null,
    keyword varchar not null,
    weight double not null              -- jieba TF-IDF: term frequency × IDF of jieba's shipped table
);

-- people, places and organisations named in an article, from the segmenter's part-of-speech tags
create table if not exists article_entities (
    article_id varchar not null,
    entity varchar not null,
    kind varchar not null,              -- person | place | organisation
    count integer not null
);
