-- Is the input getting better or worse? Per issue day: rejection rate, findings by severity,
-- the checks that fired and lines left over.
with days as (
    select
        issue_date,
        count(*) as issues,
        sum(articles_total) as articles,
        sum(articles_rejected) as rejected,
        sum(residue_lines) as residue_lines
    from issues
    group by issue_date
),

findings as (
    select i.issue_date, f."check", f.severity, count(*) as n
    from quality_findings as f
    inner join issues as i on i.sha256 = f.issue_sha256
    group by all
),

per_day as (
    select
        issue_date,
        sum(n) filter (where severity = 'error') as errors,
        sum(n) filter (where severity = 'warning') as warnings,
        sum(n) filter (where severity = 'info') as infos,
        string_agg("check" || '×' || n, ', ' order by n desc, "check") as checks
    from findings
    group by issue_date
),

final as (
    select
        d.issue_date,
        d.issues,
        d.articles,
        d.rejected,
        round(100.0 * d.rejected / nullif(d.articles, 0), 1) as rejected_pct,
        coalesce(p.errors, 0) as errors,
        coalesce(p.warnings, 0) as warnings,
        coalesce(p.infos, 0) as infos,
        p.checks,
        d.residue_lines
    from days as d
    left join per_day as p using (issue_date)
)

select * from final
order by issue_date
