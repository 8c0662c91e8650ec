"""The warehouse: opening it, its schema, the checkpoint journal, the search index, DuckLake.

Empty on purpose: importing a module of this package imports nothing else of it, so
`newsprint sql` (flows/query.py) reaches the connection without the search index's segmenter.
"""
