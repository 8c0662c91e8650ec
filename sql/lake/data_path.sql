-- where the lake keeps its Parquet files, as its catalog remembers
select value as data_path
from ducklake_options('lake')
where option_name = 'data_path'
