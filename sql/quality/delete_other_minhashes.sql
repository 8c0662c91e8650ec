-- signatures of another kind can never be compared with the current ones
delete from article_minhashes where kind <> $kind
