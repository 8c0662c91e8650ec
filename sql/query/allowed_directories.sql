-- flows/query.py: the folders an analyst's query may read besides the warehouse (`--read-files`)
set allowed_directories = $directories
