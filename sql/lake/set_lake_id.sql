-- which lake this connection has attached (catalog and schema), for caches kept per lake
set variable newsprint_lake_id = $lake_id
