-- whether the schema files of this digest (sql/ddl and sql/views) were applied to the lake
select count(*) > 0 as applied
from newsprint.schema_versions
where digest = $digest
