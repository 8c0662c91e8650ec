select getvariable('newsprint_writer_lock') as lock_key
