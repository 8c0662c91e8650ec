-- BM25 index over the space-separated search words of each article (headline and body).
-- The tokens are already words: split on whitespace only (the default `ignore` drops digits
-- and ASCII punctuation, so phone numbers would vanish; an empty one splits every character),
-- no stemmer and no stop words (both are English), lower-case for Latin words.
pragma create_fts_index(
    'articles', 'article_id', 'search_tokens',
    stemmer = 'none', stopwords = 'none', ignore = '\s+', strip_accents = 0, lower = 1, overwrite = 1
)
