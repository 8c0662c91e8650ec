-- the columns of a table, so rows read with `select *` are written back with exactly them
select column_name
from information_schema.columns
where table_name = $table
order by ordinal_position
