"""The warehouse: its setting, opening it, its schema, the checkpoint journal, the search index, DuckLake.

This file imports nothing, so a module of the package costs only what that module imports:
`newsprint sql` (flows/query.py) opens the warehouse without loading the search's segmenter.
"""
