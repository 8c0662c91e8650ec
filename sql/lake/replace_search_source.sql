-- the fingerprint of the lake's articles the copy was made from
create or replace table search_source as
select * from incoming
