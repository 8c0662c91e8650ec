-- flows/storage/checkpoint.py: the blocks a checkpoint rewrites in place, and their size
select metadata.block_id, size.block_size
from pragma_metadata_info() as metadata, pragma_database_size() as size
where size.database_name = current_database()
order by metadata.block_id
