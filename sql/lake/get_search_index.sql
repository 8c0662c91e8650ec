select getvariable('newsprint_search_index') as path
