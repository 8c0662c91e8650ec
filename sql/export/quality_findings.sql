-- quality_findings, partitioned by the issue date each row carries
select * from quality_findings
