-- in the index file: add the lake's new articles (incoming: a stream from the lake) to the copy
insert into articles by name
select * from incoming
