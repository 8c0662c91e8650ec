-- the columns of a table in the database in use, so rows read with `select *` are written
-- back with exactly them
select column_name
from information_schema.columns
where table_name = $table
  and table_catalog = current_database()
  and table_schema = current_schema()
order by ordinal_position
