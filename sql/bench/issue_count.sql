-- how many issues a warehouse holds
select count(*) from issues
