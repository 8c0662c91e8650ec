"""The `newsprint` command line.

main.py is the entry point: it runs `newsprint sql` (sql.py) without importing typer or the
pipeline, and hands every other command to the typer app (app.py), which gathers the commands
of daily.py, analysis.py, ops.py and quality.py, and `newsprint bench` from bench/cli.py.
common.py holds what they share.
"""
