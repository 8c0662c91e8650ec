insert into quality_findings by name select * from incoming
