"""`python -m flows` runs the `newsprint` command line, with all its commands.

Not `python -m flows.cli`: run as `__main__`, that module would be a second copy of
flows.cli, and the command modules register their commands on the first.
"""

from flows.cli import main

main()
