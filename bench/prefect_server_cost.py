"""What a flow makes Prefect's API server do, in the server's own CPU seconds.

    .venv/bin/python -m bench.prefect_server_cost [--runs 100]

Starts a server (bench/prefect_server.py), then runs, each in a process of its own against it:
an empty flow, a flow of N trivial task runs, and a flow logging N lines; the server's CPU
(psutil, its process tree) is read before each and again once its events are persisted. The
server's idle CPU per minute is measured first and taken off.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

from bench import scratch_folder
from bench.harness import server_cpu_seconds
from bench.prefect_server import running_prefect_server

SETTLE_S = 8.0  # the server persists a run's events after the run has ended
FLOW = """
import sys
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

@task(name="trivial", cache_policy=NO_CACHE)
def trivial(n):
    return n

@flow(name="bench-server-cost")
def run(tasks, lines):
    logger = get_run_logger()
    for n in range(tasks):
        trivial(n)
    for n in range(lines):
        logger.info("line %d", n)

run(int(sys.argv[1]), int(sys.argv[2]))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=100, help="task runs, and log lines, per flow")
    args = parser.parse_args()
    root = scratch_folder("newsprint-server-cost-")
    script = root / "flow.py"
    script.write_text(FLOW, encoding="utf-8")
    pids: list[int] = []
    with running_prefect_server(root / "prefect", pids=pids) as api_url:
        env = {**os.environ, "PREFECT_API_URL": api_url}

        def server_cpu(tasks: int, lines: int) -> tuple[float, float]:
            before, started = server_cpu_seconds(pids), time.monotonic()
            command = [sys.executable, str(script), str(tasks), str(lines)]
            subprocess.run(command, env=env, check=True, capture_output=True)
            time.sleep(SETTLE_S)
            return server_cpu_seconds(pids) - before, time.monotonic() - started

        server_cpu(1, 0)  # the server's first flow run
        before = server_cpu_seconds(pids)
        time.sleep(60)
        idle = (server_cpu_seconds(pids) - before) / 60
        rows = [(name, *server_cpu(tasks, lines)) for name, tasks, lines in (
            ("an empty flow run", 0, 0),
            (f"{args.runs} task runs", args.runs, 0),
            (f"{args.runs} log lines", 0, args.runs),
        )]  # fmt: skip
    print(f"API server CPU (load average {os.getloadavg()[0]:.1f}); idle, {idle * 60:.2f} s a minute\n")
    print("| flow | server CPU s | of which idle | per task run or line, ms |")
    print("|---|---:|---:|---:|")
    empty = rows[0][1] - idle * rows[0][2]
    for name, cpu, wall in rows:
        busy = cpu - idle * wall
        each = "" if name.startswith("an empty") else f"{1000 * (busy - empty) / args.runs:.1f}"
        print(f"| {name} | {cpu:.2f} | {idle * wall:.2f} | {each} |")


if __name__ == "__main__":
    main()
