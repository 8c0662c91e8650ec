-- one row per word and article (accepted or rejected) that holds it, with its count: the words
-- of the stored segmentation (`tokens`, space-joined), counted when queried rather than stored
-- twice (a table of counts was a quarter of the warehouse, and of what the load wrote)
create or replace view article_terms as
with tokens as (
    select article_id, tokens from articles
    union all
    select article_id, tokens from rejected_articles
),

words as (
    select article_id, unnest(string_split(tokens, ' ')) as term
    from tokens
    where tokens <> ''
),

final as (
    select article_id, term, count(*)::integer as count
    from words
    group by article_id, term
)

select * from final;

-- what it holds, for the catalog (replacing the view drops it: set again each time; a DuckLake
-- takes no comment on a view's columns)
comment on view article_terms is 'One row per word and article (accepted or rejected): how often the segmenter found it in the headline and body. Counted from articles.tokens and rejected_articles.tokens when queried. article_id: the article; term: the word; count: times it occurs.';
