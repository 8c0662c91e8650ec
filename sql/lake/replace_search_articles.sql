-- the index file's copy of the searchable articles (incoming: a stream from the lake)
create or replace table articles as
select * from incoming
