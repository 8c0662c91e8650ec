-- the local DuckDB file that holds the lake's full-text index
set variable newsprint_search_index = $path
