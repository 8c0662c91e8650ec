-- note that the schema files of this digest were applied (in the transaction that applied them)
insert into newsprint.schema_versions values ($digest, now()::timestamp)
