"""Kill `newsprint run` and `newsprint backfill` at random moments, resume, and compare with a clean load.

    .venv/bin/python -m bench.kill_resume [--kills 30] [--issues 40] [--batch-size 4] [--seed 1]

Why: tests/test_crash.py shows that a kill leaves no issue half loaded; this checks that kills
and resumptions leave no trace at all. The archive is built so that the order of loading
could matter: reprinted articles (exact duplicates), edited copies (near-duplicates, one of
them printed first in the later issue's date order), an undated issue, a correction that
replaces an issue (a revision) and a file that cannot be read. A clean backfill of it is the
reference. Then, cycle after cycle, a fresh warehouse is loaded by `newsprint run` (over the
dated files) and `newsprint backfill` (over all), each SIGKILLed at a random moment (drawn
over the command's start and the loading it still has to do) until the cycle has had its
kills; one last backfill finishes it, and every table is compared with the reference issue
by issue, findings included (less load times and run ids). After each kill
the harness also checks that the warehouse opens with every issue whole and that no worker
process or resource tracker outlived the killed process.

Prints a table and a JSON line; exits 1 if any cycle differs from the reference, an issue
was half loaded or a process was orphaned. It starts its own Prefect server on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb
import psutil

from bench import scratch_folder
from bench.synthetic import FIRST_DAY, synthetic_issue
from flows.ingest import read_issue
from flows.parse import parse_issue
from flows.settings import PROJECT_ROOT, sql
from flows.storage.warehouse import parse_warehouse
from tests.prefect_server import running_prefect_server

NEWSPRINT = str(Path(sys.executable).with_name("newsprint"))
ORPHAN_WAIT_S = 15.0  # how long the processes a killed run started may take to end
Snapshot = dict[str, dict[str, list[str]]]  # table → issue → its rows as JSON


@dataclass
class Tally:
    """What the harness did and found."""

    kills: Counter[str] = field(default_factory=Counter)  # command → SIGKILLs that landed while it ran
    missed: int = 0  # the command had ended before its kill came
    amid_loading: int = 0  # kills after which the warehouse held more issues than before, not all
    cycles: int = 0
    matching_cycles: int = 0
    half_loaded: int = 0  # issues found not whole after a kill (must stay 0)
    orphans: int = 0  # processes that outlived their killed parent (must stay 0)
    differences: list[str] = field(default_factory=list)
    issues: int = 0
    rows: int = 0  # rows compared per cycle


def _article(text: str, seq: int, edit: bool = False) -> list[str]:
    """One article of an issue as lines to print in another; `edit`: a near-duplicate of it."""
    parsed = parse_issue(read_issue("x-2016-01-01.txt", text.encode("utf-8")), date(2026, 1, 15))
    article = parsed.articles[seq - 1]
    paragraphs = list(article.paragraphs)
    if edit:
        paragraphs[-1] = paragraphs[-1][:-12] + "（本报综合）。"
    first = f"{article.dateline} {paragraphs[0]}" if article.dateline else paragraphs[0]
    lines = [article.headline or "", article.byline or "", first, *paragraphs[1:]]
    return [part for line in lines for part in (line, "")]


def build_archive(root: Path, issues: int, seed: int) -> tuple[Path, Path]:
    """Write the archive (dated files in `2016/`, a correction and an undated issue beside); return
    it and the folder of its dated files, which `newsprint run` takes as its inbox."""
    rng = random.Random(seed)
    days = [FIRST_DAY + timedelta(days=n) for n in range(issues)]
    texts = [synthetic_issue(day, rng) for day in days]
    for n in range(5, issues, 7):  # reprints and edited copies, forwards and backwards in time
        texts[n] += "\n" + "\n".join(_article(texts[n - 4], 3))
        texts[n] += "\n" + "\n".join(_article(texts[n - 3], 4, edit=True))
        if n + 2 < issues:
            texts[n - 1] += "\n" + "\n".join(_article(texts[n + 2], 2, edit=True))
    dated = root / "archive" / "2016"
    dated.mkdir(parents=True)
    for day, text in zip(days, texts, strict=True):
        (dated / f"qingdao-daily-{day.isoformat()}.txt").write_text(text, encoding="utf-8")
    (dated / f"qingdao-daily-{days[-1].isoformat()}-empty.txt").write_bytes(b"")  # refused, every run
    corrected = days[issues // 2]
    corrections = root / "archive" / "corrections"
    corrections.mkdir()
    revised = texts[issues // 2].replace("。", "！", 3)  # a corrected copy of that day: a revision
    (corrections / f"qingdao-daily-{corrected.isoformat()}.txt").write_text(revised, encoding="utf-8")
    undated = synthetic_issue(days[-1] + timedelta(days=1), rng) + "\n" + "\n".join(_article(texts[2], 5))
    (root / "archive" / "qingdao-daily-special.txt").write_text(undated, encoding="utf-8")
    return root / "archive", dated


def command(kind: str, archive: Path, inbox: Path, warehouse: Path, batch_size: int) -> list[str]:
    if kind == "run":
        return [NEWSPRINT, "run", "--inbox", str(inbox), "--warehouse", str(warehouse)]
    options = ["--batch-size", str(batch_size), "--workers", "1", "--no-progress"]
    return [NEWSPRINT, "backfill", str(archive), "--warehouse", str(warehouse), *options]


def run_to_end(arguments: list[str], env: dict[str, str]) -> float:
    """Run a command to its end; return how long it took (a refused file makes exit 1: expected)."""
    started = time.perf_counter()
    done = subprocess.run(arguments, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=900)
    if done.returncode not in (0, 1) or "Traceback" in done.stdout + done.stderr:
        raise RuntimeError(f"{' '.join(arguments[:2])} failed:\n{(done.stdout + done.stderr)[-3000:]}")
    if done.returncode == 1 and "1 file(s) could not be read" not in done.stdout + done.stderr:
        raise RuntimeError(f"{' '.join(arguments[:2])} failed:\n{(done.stdout + done.stderr)[-3000:]}")
    return time.perf_counter() - started


def kill_at(arguments: list[str], env: dict[str, str], delay: float, tally: Tally, kind: str) -> None:
    """Start a command, SIGKILL it after `delay` seconds, and check that nothing it started lives on."""
    process = subprocess.Popen(
        arguments, env=env, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + delay
    started: dict[int, psutil.Process] = {}
    while time.monotonic() < deadline and process.poll() is None:
        try:
            for child in psutil.Process(process.pid).children(recursive=True):
                started.setdefault(child.pid, child)
        except psutil.NoSuchProcess:
            break
        time.sleep(0.05)
    if process.poll() is None:
        process.kill()
        tally.kills[kind] += 1
    else:
        tally.missed += 1
    process.wait()
    _, alive = psutil.wait_procs(list(started.values()), timeout=ORPHAN_WAIT_S)
    tally.orphans += len(alive)
    for orphan in alive:
        orphan.kill()


def inspect(warehouse: Path) -> tuple[int, int]:
    """Return (live issues, issues not whole), opening the warehouse as the next run would."""
    if not warehouse.exists():
        return 0, 0
    from flows import load
    from flows.storage import checkpoint

    con = load.connect(parse_warehouse(str(warehouse)))
    try:
        half = len(con.execute(sql("bench/half_loaded_issues")).fetchall())
        (issues,) = con.execute(sql("bench/issue_count")).fetchone() or (0,)
        return int(issues), half
    finally:
        checkpoint.release(con, warehouse)


def snapshot(warehouse: Path) -> dict[str, dict[str, list[str]]]:
    """Every table's rows by issue, as JSON text in a stable order."""
    rows: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for table, issue, row in con.execute(sql("bench/issue_rows")).fetchall():
            rows[table][issue].append(row)
    return {t: {i: sorted(r) for i, r in by_issue.items()} for t, by_issue in rows.items()}


def differences(
    reference: dict[str, dict[str, list[str]]], got: dict[str, dict[str, list[str]]]
) -> list[str]:
    found = []
    for table in sorted(set(reference) | set(got)):
        want, have = reference.get(table, {}), got.get(table, {})
        for issue in sorted(set(want) | set(have)):
            if want.get(issue) != have.get(issue):
                found.append(f"{table} {issue}: {len(want.get(issue, []))} rows in the clean load, "
                             f"{len(have.get(issue, []))} after kills")  # fmt: skip
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=30, help="SIGKILLs that must land while a command runs")
    parser.add_argument("--issues", type=int, default=40, help="dated issues in the archive")
    parser.add_argument("--kills-per-cycle", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    root = scratch_folder("newsprint-kill-resume-")
    archive, inbox = build_archive(root, args.issues, args.seed)
    tally = Tally()
    with running_prefect_server(root / "prefect") as api_url:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "NEWSPRINT_"))}
        env |= {"PREFECT_API_URL": api_url, "PREFECT_HOME": str(root / "client-home"),
                "NEWSPRINT_SETTLE_SECONDS": "0", "NEWSPRINT_DEBUG_LOG": str(root / "debug.log")}  # fmt: skip
        reference_file = root / "reference.duckdb"
        durations = {
            "backfill": run_to_end(command("backfill", archive, inbox, reference_file, args.batch_size), env),
            "run": run_to_end(command("run", archive, inbox, root / "daily.duckdb", args.batch_size), env),
        }
        empty = root / "empty"
        empty.mkdir()  # what a command costs before it loads anything: its start
        starts = {
            kind: run_to_end(command(kind, empty, empty, root / "empty.duckdb", 1), env) for kind in durations
        }
        reference = snapshot(reference_file)
        tally.issues = len(reference.get("issues", {}))
        tally.rows = sum(len(rows) for by_issue in reference.values() for rows in by_issue.values())
        print(f"clean loads: backfill {durations['backfill']:.1f} s, run {durations['run']:.1f} s "
              f"(of which starting {starts['backfill']:.1f} and {starts['run']:.1f} s); "
              f"{tally.issues} issues, {tally.rows} rows to compare", flush=True)  # fmt: skip
        while sum(tally.kills.values()) < args.kills:
            tally.cycles += 1
            warehouse = root / f"cycle-{tally.cycles}.duckdb"
            target = min(args.kills_per_cycle, args.kills - sum(tally.kills.values()))
            landed = sum(tally.kills.values())
            issues = 0
            while sum(tally.kills.values()) - landed < target:
                kind = rng.choice(["run", "backfill"])
                # within the loading still to do (a run skips what is loaded), start included
                left = max(durations[kind] - starts[kind], 0.5) * (1 - issues / tally.issues)
                delay = rng.uniform(0.5, starts[kind] + left + 0.5)
                kill_at(command(kind, archive, inbox, warehouse, args.batch_size), env, delay, tally, kind)
                now, half = inspect(warehouse)
                tally.half_loaded += half
                tally.amid_loading += issues < now < tally.issues
                issues = now
            resume = command("backfill", archive, inbox, warehouse, args.batch_size)
            run_to_end(resume, env)  # to the end, unkilled
            found = differences(reference, snapshot(warehouse))
            tally.matching_cycles += not found
            tally.differences += [f"cycle {tally.cycles}: {d}" for d in found]
            verdict = f"{len(found)} difference(s)" if found else "same as the clean load"
            print(f"cycle {tally.cycles}: {sum(tally.kills.values()) - landed} kills, {verdict}", flush=True)
    report(tally, args)
    return 0 if not tally.differences and not tally.half_loaded and not tally.orphans else 1


def report(tally: Tally, args: argparse.Namespace) -> None:
    kills = f"{sum(tally.kills.values())} ({tally.kills['run']} / {tally.kills['backfill']})"
    print()
    header = ["kills landed (run / backfill)", "of them amid loading", "missed", "cycles"]
    header += ["equal to the clean load", "half-loaded"]
    cells = [kills, tally.amid_loading, tally.missed, tally.cycles]
    cells += [tally.matching_cycles, tally.half_loaded, tally.orphans]
    print("| " + " | ".join([*header, "orphans"]) + " |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    print("| " + " | ".join(map(str, cells)) + " |")
    for difference in tally.differences[:20]:
        print(difference)
    summary = {
        "kills": sum(tally.kills.values()),
        "kills_run": tally.kills["run"],
        "kills_backfill": tally.kills["backfill"],
        "amid_loading": tally.amid_loading,
        "missed": tally.missed,
        "cycles": tally.cycles,
        "cycles_equal": tally.matching_cycles,
        "issues": tally.issues,
        "rows_compared_per_cycle": tally.rows,
        "differences": len(tally.differences),
        "half_loaded": tally.half_loaded,
        "orphans": tally.orphans,
        "seed": args.seed,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    sys.exit(main())
