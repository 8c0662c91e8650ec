-- runs belong to no issue: exported whole
select * from runs
