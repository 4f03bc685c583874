"""`python -m jobs COMMAND ...`: the `tracklink` command without installing it."""

from jobs.cli import main

main()
