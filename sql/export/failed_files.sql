-- files that could not be read belong to no issue: exported whole
select * from failed_files
