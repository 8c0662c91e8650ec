insert into failed_files by name select * from incoming
