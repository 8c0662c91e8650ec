-- signatures of accepted articles dated from $first to $last (all of them when $first is null),
-- with the issue date and load time that order them as load/known_minhashes does
select m.article_id, m.minhash, a.issue_date, a.loaded_at
from article_minhashes as m
inner join articles as a using (article_id)
where m.kind = $kind
  and ($first::date is null or a.issue_date between $first::date and $last::date)
order by a.issue_date, a.loaded_at, a.article_id
