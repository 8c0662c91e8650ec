-- signatures of accepted articles dated within $days of an issue (all of them for an undated
-- issue), oldest first, so a near-duplicate links the earliest similar article
select m.article_id, m.minhash
from article_minhashes as m
inner join articles as a using (article_id)
where m.kind = $kind
  and (
      $issue_date::date is null
      or a.issue_date between $issue_date::date - $days::integer and $issue_date::date + $days::integer
  )
order by a.issue_date, a.loaded_at, a.article_id
