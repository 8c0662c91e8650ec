"""Newsprint: plain-text Chinese newspaper issues into a DuckDB warehouse."""

import os

# Let the stage modules' loggers reach Prefect's run logs (read when Prefect is imported).
os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "flows")
# A cold ephemeral Prefect API (first run, database migrations) can take longer than the
# default on a small machine; waiting is better than failing the run.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
# A stage's warning outside a flow run (a test, `newsprint parse`) goes to the terminal only,
# without Prefect warning that it could not send it to a run.
os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")
# No telemetry from the project's commands: offline it only logs "Failed to send telemetry" as
# an ERROR, and the temporary server's telemetry write raced its own SQLite database on a first
# run ("database is locked", a traceback on the console). Set either variable to opt back in.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
# The pipeline runs in parallel by process (a backfill's workers beside its writer, each with a
# core): Polars' own threads only competed with them, and coordinating them cost CPU (a quarter
# of the segment stage's). Set before Polars first runs a query, which reads it.
os.environ.setdefault("POLARS_MAX_THREADS", "1")
