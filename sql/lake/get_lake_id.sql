select getvariable('newsprint_lake_id') as lake_id
