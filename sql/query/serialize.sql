-- flows/query.py: DuckDB's own parse of one analyst statement, as JSON, to find the functions it calls
select json_serialize_sql($query)
