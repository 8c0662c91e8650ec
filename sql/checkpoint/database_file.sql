-- flows/checkpoint.py: the file behind the connection's default database (null in memory)
select path from duckdb_databases() where database_name = current_database()
