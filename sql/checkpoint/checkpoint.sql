-- flows/checkpoint.py: write the WAL into the database file (behind the journal)
checkpoint
