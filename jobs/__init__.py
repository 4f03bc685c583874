"""Entry points, one module per job, and the `tracklink` command over them (`jobs.cli`)."""
