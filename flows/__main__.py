"""`python -m flows` runs the `newsprint` command line, with all its commands."""

from flows.cli.main import entry

entry()
