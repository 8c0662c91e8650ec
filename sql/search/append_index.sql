-- Add the articles the BM25 index lacks, as `pragma create_fts_index` (search/create_index.sql)
-- would have indexed them: the same tokenize macro, no stop words, no stemmer; then the inputs
-- of a BM25 score follow: each term's document frequency, each document's length, the number of
-- documents and their mean length. Scores equal a rebuild's (tests/test_search.py); ids differ.
-- Run in one transaction (flows/storage/search.py), so the index is never half appended.
create or replace temp table fts_new_docs as
select
    (select coalesce(max(docid), -1) from fts_main_articles.docs)
    + row_number() over (order by a.article_id) as docid,
    a.article_id as name,
    a.search_tokens
from articles as a
anti join fts_main_articles.docs as d on d.name = a.article_id
-- The anti join decides; the rowid only narrows where to look. Articles the index lacks were
-- appended since its last refresh, so they have the table's highest rowids: from the smallest
-- of theirs on, the scan skips the search words of every row before it instead of reading the
-- whole archive's (cold: about a tenth of the time at 3,072 issues).
where a.rowid >= (
    select min(a.rowid)
    from articles as a
    anti join fts_main_articles.docs as d on d.name = a.article_id
);

-- The index's tokenize macro is string_split_regex(regexp_replace(lower(s), '\s+', ' ', 'g'), '\s+').
-- Search words are joined by single spaces, so a plain split on ' ' gives the same terms (empty
-- ones are dropped below) at a third of the cost; a text with another whitespace character that
-- RE2's \s matches (tab, newline, form feed, carriage return; and a vertical tab) is split as the
-- macro splits it (`contains` finds them in a tenth of the time of a regular expression).
create or replace temp table fts_new_terms as
with tokenized as (
    select
        docid,
        unnest(
            case
                when
                    contains(search_tokens, chr(9))
                    or contains(search_tokens, chr(10))
                    or contains(search_tokens, chr(11))
                    or contains(search_tokens, chr(12))
                    or contains(search_tokens, chr(13))
                    then fts_main_articles.tokenize(search_tokens)
                else string_split(lower(search_tokens), ' ')
            end
        ) as term
    from fts_new_docs
)

select docid, term
from tokenized
where term is not null
    and len(term) > 0
    and term not in (select sw from fts_main_articles.stopwords);

-- each new term's number of new documents, counted once for the dictionary's new rows and its df
create or replace temp table fts_new_df as
select term, count(distinct docid) as documents
from fts_new_terms
group by term;

insert into fts_main_articles.dict (termid, term, df)
with new_terms as (
    select term from fts_new_df
    anti join fts_main_articles.dict using (term)
)

select
    (select coalesce(max(termid), -1) from fts_main_articles.dict) + row_number() over (order by term),
    term,
    0
from new_terms;

update fts_main_articles.dict as d
set df = d.df + n.documents
from fts_new_df as n
where d.term = n.term;

insert into fts_main_articles.terms (docid, fieldid, termid)
select t.docid, f.fieldid, d.termid
from fts_new_terms as t
inner join fts_main_articles.dict as d using (term)
cross join (select fieldid from fts_main_articles.fields where field = 'search_tokens') as f;

-- each document's length: its terms counted by docid alone, then joined (a seventh of the cost of
-- grouping the joined terms by docid and name)
insert into fts_main_articles.docs (docid, name, len)
with lengths as (
    select docid, count(*) as len
    from fts_new_terms
    group by docid
)

select n.docid, n.name, coalesce(l.len, 0)
from fts_new_docs as n
left join lengths as l using (docid);

delete from fts_main_articles.stats;

insert into fts_main_articles.stats (num_docs, avgdl)
select count(docid), sum(len) / count(len)
from fts_main_articles.docs;

drop table fts_new_df;

drop table fts_new_terms;

drop table fts_new_docs;
