-- one row per accepted article: paper, date, headline, who wrote it, what and whom it is about
create or replace view article_overview as
with bylines as (
    select
        article_id,
        list(name order by position) filter (where role = 'reporter') as reporters,
        list(name || '（' || role || '）' order by position) filter (where role <> 'reporter') as contributors
    from article_reporters
    group by article_id
),

keywords as (
    select article_id, list(keyword order by rank) as keywords
    from article_keywords
    group by article_id
),

entities as (
    select
        article_id,
        list(entity order by count desc, entity) filter (where kind = 'person') as people,
        list(entity order by count desc, entity) filter (where kind = 'place') as places,
        list(entity order by count desc, entity) filter (where kind = 'organisation') as organisations
    from article_entities
    group by article_id
),

final as (
    select
        a.article_id,
        a.paper,
        a.issue_date,
        a.seq,
        a.headline,
        coalesce(b.reporters, []) as reporters,
        coalesce(b.contributors, []) as contributors,
        coalesce(k.keywords, []) as keywords,
        coalesce(e.people, []) as people,
        coalesce(e.places, []) as places,
        coalesce(e.organisations, []) as organisations,
        a.body_chars
    from articles as a
    left join bylines as b using (article_id)
    left join keywords as k using (article_id)
    left join entities as e using (article_id)
)

select * from final;

-- what it holds, for the catalog (replacing the view drops it: set again each time; a DuckLake
-- takes no comment on a view's columns, which are the tables' columns of the same names)
comment on view article_overview is 'One row per accepted article: paper, issue_date, seq, headline; reporters (its byline''s, in order), contributors (everyone else credited, as name（role）), keywords (heaviest first), people, places and organisations (most named first), body_chars.';
