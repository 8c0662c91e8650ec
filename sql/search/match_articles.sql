-- articles matching the segmented query (every word, or any word when $any_word), best BM25 score first
with scored as (
    select
        article_id,
        fts_main_articles.match_bm25(article_id, $query, conjunctive := not $any_word) as score
    from articles
),

final as (
    select
        row_number() over (order by s.score desc, a.issue_date desc, a.article_id) as rank,
        s.score,
        a.headline,
        a.issue_date,
        a.paper,
        a.article_id,
        a.body
    from scored as s
    inner join articles as a using (article_id)
    where s.score is not null
)

select * from final
order by rank
limit $limit
