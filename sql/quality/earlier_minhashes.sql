-- for a replay that starts at the issue ($since_date, $since_sha) in issue-date order: the
-- signatures of the accepted articles before it that its near-duplicate window reaches
-- ($days before a dated issue; all of them before an undated one), in issue-date order
select m.article_id, a.issue_date, m.minhash
from article_minhashes as m
inner join articles as a using (article_id)
where m.kind = $kind
  and (
      ($since_date::date is not null
       and a.issue_date >= $since_date::date - $days::integer
       and (a.issue_date < $since_date::date or (a.issue_date = $since_date::date and a.issue_sha256 < $since_sha)))
      or ($since_date::date is null and (a.issue_date is not null or a.issue_sha256 < $since_sha))
  )
order by a.issue_date, a.issue_sha256, m.article_id
