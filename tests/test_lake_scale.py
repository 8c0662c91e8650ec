"""A lake shared by machines: object storage, a catalog with roles and passwords, parallel writers.

Everything runs on 127.0.0.1 with free ports: PostgreSQL started by `.ci/postgres.sh` as a
catalog other machines could reach (roles, scram passwords), and an S3-compatible server
(moto) started by the test. A "second machine" is a second process.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import boto3
import pytest
from typer.testing import CliRunner

from bench.synthetic import build_archive
from flows import bulk_load, load
from flows.cli.app import app
from flows.ingest import read_issue
from flows.query import run_query
from flows.storage import lake_locks
from flows.storage.database import WarehouseBusy, writer_lock
from flows.storage.warehouse import parse_warehouse
from flows.transform import transform_issue
from tests.conftest import TODAY
from tests.test_ducklake import _can_install_postgres, _postgres_script, free_port

pytestmark = pytest.mark.integration

NOW = datetime(2026, 1, 15, 6, 0)
PASSWORD = "Pw-0f-the-writers"
READER_PASSWORD = "Pw-0f-the-readers"
BUCKET = "newsprint"
S3_ENV = {
    "AWS_ACCESS_KEY_ID": "newsprint-test",
    "AWS_SECRET_ACCESS_KEY": "newsprint-test-secret",
    "AWS_REGION": "us-east-1",
}
runner = CliRunner()


@dataclass(frozen=True)
class Catalog:
    """A PostgreSQL catalog with the writer and reader roles of `.ci/postgres.sh`."""

    conninfo: str  # as the script prints it: newsprint_writer, no password
    root: Path

    def lake(self, name: str, data_path: str | None = None, *, user: str = "newsprint_writer") -> str:
        """Return a lake's setting: its own catalog schema, its data in a folder or at a URL."""
        conninfo = self.conninfo.replace("user=newsprint_writer", f"user={user}")
        data = data_path or str(self.root / name)
        index = self.root / f"{name}.search.duckdb"
        return f"ducklake:postgres:{conninfo} DATA_PATH {data} METADATA_SCHEMA {name} SEARCH_INDEX {index}"


@pytest.fixture(scope="module")
def catalog() -> Iterator[Catalog]:
    """PostgreSQL with passwords; clients find theirs in a libpq password file (PGPASSFILE)."""
    if not _can_install_postgres():
        pytest.skip("PostgreSQL is not installed and cannot be (apt-get needs root)")
    root = Path(tempfile.mkdtemp(prefix="newsprint-catalog-"))
    root.chmod(0o755)  # the server runs as the postgres user, which reads the password files
    for name, secret in (("writer.pw", PASSWORD), ("reader.pw", READER_PASSWORD)):
        (root / name).write_text(secret, encoding="utf-8")
        (root / name).chmod(0o644)
    port = str(free_port())
    env = {
        "NEWSPRINT_PG_PASSWORD_FILE": str(root / "writer.pw"),
        "NEWSPRINT_PG_READER_PASSWORD_FILE": str(root / "reader.pw"),
        "NEWSPRINT_PG_LISTEN": "127.0.0.1",
        "NEWSPRINT_PG_ALLOW": "127.0.0.1/32",
    }
    saved = {name: os.environ.get(name) for name in [*env, "PGPASSFILE"]}
    os.environ.update(env)
    pgpass = root / "pgpass"
    pgpass.write_text(
        f"127.0.0.1:{port}:newsprint:newsprint_writer:{PASSWORD}\n"
        f"127.0.0.1:{port}:newsprint:newsprint_reader:{READER_PASSWORD}\n",
        encoding="utf-8",
    )
    pgpass.chmod(0o600)
    try:
        started = _postgres_script("start", str(root / "cluster"), port)
        if started.returncode != 0:
            pytest.fail(f".ci/postgres.sh start failed:\n{started.stderr[-2000:]}")
        assert PASSWORD not in started.stdout + started.stderr
        os.environ["PGPASSFILE"] = str(pgpass)
        yield Catalog(conninfo=started.stdout.strip(), root=root)
    finally:
        _postgres_script("destroy", str(root / "cluster"), port)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def s3() -> Iterator[str]:
    """An S3-compatible server on 127.0.0.1 with an empty bucket; the AWS variables point at it."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    env = {**S3_ENV, "AWS_ENDPOINT_URL": endpoint}
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=BUCKET)
        yield endpoint
    finally:
        server.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def newsprint(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run the `newsprint` command in a process of its own (another machine, as far as it knows)."""
    command = [str(Path(sys.executable).parent / "newsprint"), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=dict(os.environ))


def bundle_of(path: Path):
    return transform_issue(read_issue(path.name, path.read_bytes()), TODAY)


# --- object storage -------------------------------------------------------------------------


@pytest.mark.usefixtures("prefect_harness")
def test_a_lake_on_s3_loads_and_a_second_process_queries_and_searches_it(
    catalog: Catalog, s3: str, inbox: Path, tmp_path: Path
) -> None:
    from flows.pipeline import daily_ingest

    lake = catalog.lake("on_s3", f"s3://{BUCKET}/lake")
    row = daily_ingest(inbox=str(inbox), warehouse=lake)
    assert (row["files_loaded"], row["articles_accepted"]) == (1, 6)
    keys = [o["Key"] for o in boto3.client("s3", endpoint_url=s3).list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert keys and all(k.startswith("lake/main/") and k.endswith(".parquet") for k in keys)

    counted = newsprint("sql", "select count(*) as n from articles", "--warehouse", lake, "--format", "csv")
    assert counted.returncode == 0, counted.stderr[-2000:]
    assert counted.stdout.splitlines() == ["n", "6"]
    found = newsprint("search", "人工智能", "--warehouse", lake, "--format", "json")
    assert found.returncode == 0, found.stderr[-2000:]
    assert json.loads(found.stdout)

    upkeep = newsprint("lake-maintenance", "--warehouse", lake, "--keep-days", "0")
    assert upkeep.returncode == 0, upkeep.stderr[-2000:]
    again = newsprint("sql", "select count(*) as n from articles", "--warehouse", lake, "--format", "csv")
    assert again.stdout.splitlines() == ["n", "6"]


def test_without_keys_in_the_environment_a_duckdb_persistent_secret_serves(
    catalog: Catalog, s3: str, sample_issue, tmp_path: Path
) -> None:
    lake = catalog.lake("secret_s3", f"s3://{BUCKET}/secret-lake/")
    with load.open_warehouse(parse_warehouse(lake)) as con:  # the keys from the environment
        assert bulk_load.load_issues(
            con, parse_warehouse(lake), [transform_issue(sample_issue, TODAY)], "run-1", lambda: NOW
        )[0].loaded
    home = tmp_path / "home"  # another machine's home, where its DuckDB keeps persistent secrets
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | {"HOME": str(home)}
    make_secret = (
        "import duckdb; from flows.storage.database import extension_file; con = duckdb.connect(); "
        "con.load_extension(str(extension_file('httpfs'))); "
        "con.execute(\"create persistent secret lake_store (type s3, key_id 'k', secret 's', "
        f"endpoint '{s3.removeprefix('http://')}', url_style 'path', use_ssl false)\")"
    )
    subprocess.run([sys.executable, "-c", make_secret], env=env, check=True, timeout=120)
    query = [str(Path(sys.executable).parent / "newsprint"), "sql", "select count(*) as n from articles"]
    counted = subprocess.run(
        [*query, "--warehouse", lake, "--format", "csv"], env=env, capture_output=True, text=True, timeout=600
    )
    assert counted.returncode == 0, counted.stderr[-2000:]
    assert counted.stdout.splitlines() == ["n", "6"]


def test_the_environment_names_another_store_with_path_style_urls(s3: str) -> None:
    from flows.storage.object_store import s3_secret_from_env

    secret = s3_secret_from_env(os.environ)
    assert secret is not None
    assert (secret.endpoint, secret.url_style, secret.use_ssl) == (s3.removeprefix("http://"), "path", False)
    assert s3_secret_from_env({}) is None  # no key: DuckDB's own secrets


# --- the catalog: roles and passwords ---------------------------------------------------------


def test_the_reader_role_reads_a_lake_and_cannot_write_it(catalog: Catalog, sample_issue) -> None:
    lake = catalog.lake("roles")
    with load.open_warehouse(parse_warehouse(lake)) as con:
        assert bulk_load.load_issues(
            con, parse_warehouse(lake), [transform_issue(sample_issue, TODAY)], "run-1", lambda: NOW
        )[0].loaded
    reader = catalog.lake("roles", user="newsprint_reader")
    assert run_query(parse_warehouse(reader), "select count(*) from articles")[1] == [(6,)]
    con = load.connect(parse_warehouse(reader))
    try:
        with pytest.raises(Exception, match="permission denied"):
            con.execute("insert into runs (run_id, flow_name, started_at) values ('x', 'y', now())")
    finally:
        con.close()


@pytest.mark.usefixtures("prefect_harness")
def test_a_password_in_the_setting_appears_in_no_log_artifact_or_parameter(
    catalog: Catalog, inbox: Path, monkeypatch
) -> None:
    from prefect.client.orchestration import get_client

    monkeypatch.delenv("PGPASSFILE")  # the password comes from the setting alone
    lake = catalog.lake("redacted").replace(
        "user=newsprint_writer", f"user=newsprint_writer password={PASSWORD}"
    )
    monkeypatch.delenv("NEWSPRINT_WAREHOUSE", raising=False)
    result = runner.invoke(app, ["run", "--inbox", str(inbox), "--warehouse", lake])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["files_loaded"] == 1
    wrong = lake.replace(PASSWORD, "Wr0ng-" + PASSWORD)
    monkeypatch.delenv("NEWSPRINT_WAREHOUSE", raising=False)
    refused = runner.invoke(app, ["run", "--inbox", str(inbox), "--warehouse", wrong])
    assert refused.exit_code != 0
    with pytest.raises(Exception) as raised:
        load.connect(parse_warehouse(wrong))
    assert "password authentication failed" in str(raised.value) and PASSWORD not in str(raised.value)
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs()
        logs = client.read_logs()
        artifacts = client.read_artifacts()
    texts = [json.dumps(r.parameters) for r in runs] + [log.message for log in logs]
    texts += [json.dumps(a.data, default=str) for a in artifacts] + [
        str(r.state.message) for r in runs if r.state
    ]
    assert any("warehouse" in text for text in texts)  # the setting was named, with its password hidden
    assert not [text for text in texts if PASSWORD in text]
    assert PASSWORD not in result.output + refused.output
    assert PASSWORD not in (catalog.root / "cluster" / "server.log").read_text(encoding="utf-8")


# --- writers that scale -----------------------------------------------------------------------


def test_loads_of_different_issues_do_not_wait_for_each_other(catalog: Catalog, tmp_path: Path) -> None:
    """A load holds its issue's locks, not the lake's: another issue loads meanwhile, the same one waits."""
    lake = catalog.lake("apart")
    first_day, *_, far_day = build_archive(tmp_path / "archive", 32)  # 31 days apart: out of the window
    near = build_archive(tmp_path / "near", 2, seed=7)[1]  # the day after first_day
    bundles = {
        name: bundle_of(path) for name, path in (("first", first_day), ("far", far_day), ("near", near))
    }
    with load.open_warehouse(parse_warehouse(lake)):
        pass
    holder, other = load.connect(parse_warehouse(lake)), load.connect(parse_warehouse(lake))
    try:
        with writer_lock(parse_warehouse(lake), [bundles["first"]]):
            started = time.monotonic()
            assert bulk_load.load_issues(other, parse_warehouse(lake), [bundles["far"]], "far", lambda: NOW)[
                0
            ].loaded  # loaded while the lock is held
            assert time.monotonic() - started < 60
            with (
                pytest.raises(WarehouseBusy),
                writer_lock(parse_warehouse(lake), [bundles["near"]], timeout_s=1),
            ):  # a day later: inside first's near-duplicate window
                pass
            with (
                pytest.raises(WarehouseBusy),
                writer_lock(parse_warehouse(lake), [bundles["first"]], timeout_s=1),
            ):  # the same issue
                pass
            with (
                pytest.raises(WarehouseBusy),
                writer_lock(parse_warehouse(lake), timeout_s=1),
            ):  # the whole lake (the schema, upkeep)
                pass
    finally:
        holder.close()
        other.close()


def test_two_writers_are_inside_their_load_transactions_at_the_same_moment(
    catalog: Catalog, tmp_path: Path, monkeypatch
) -> None:
    """Each writer waits, inside its locks and transaction, for the other to be there too."""
    lake = catalog.lake("same_moment")
    paths = build_archive(tmp_path / "archive", 40)
    batches = {"early": [bundle_of(p) for p in paths[:3]], "late": [bundle_of(p) for p in paths[-3:]]}
    with load.open_warehouse(parse_warehouse(lake)):
        pass
    meeting = threading.Barrier(2, timeout=120)  # broken (an error) if one writer waited for the other
    load_in_transaction = bulk_load._load_in_transaction

    def meet_then_load(*args, **kwargs):
        meeting.wait()
        return load_in_transaction(*args, **kwargs)

    monkeypatch.setattr(bulk_load, "_load_in_transaction", meet_then_load)
    outcomes: dict[str, object] = {}

    def write(name: str) -> None:
        con = load.connect(parse_warehouse(lake))
        try:
            outcomes[name] = [
                r.loaded
                for r in bulk_load.load_issues(
                    con, parse_warehouse(lake), batches[name], name, batch_writer=True
                )
            ]
        except Exception as error:
            outcomes[name] = error
        finally:
            con.close()

    threads = [threading.Thread(target=write, args=(name,)) for name in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert outcomes == {"early": [True] * 3, "late": [True] * 3}
    _, once = run_query(
        parse_warehouse(lake), "select count(*), count(distinct sha256), count(distinct run_id) from issues"
    )
    assert once == [(6, 6, 2)]


def start_backfill(archive: Path, lake: str, log: Path) -> subprocess.Popen[bytes]:
    """Start `newsprint backfill` in its own process, reporting to the test harness's Prefect API."""
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value())}
    command = [str(Path(sys.executable).parent / "newsprint"), "backfill", str(archive), "--warehouse", lake]
    options = ["--batch-size", "2", "--workers", "1", "--no-progress"]
    with log.open("wb") as out:
        return subprocess.Popen([*command, *options], env=env, stdout=out, stderr=subprocess.STDOUT)


@pytest.mark.usefixtures("prefect_harness")
def test_two_writers_on_different_issues_load_at_once_each_issue_once(
    catalog: Catalog, tmp_path: Path
) -> None:
    lake = catalog.lake("two_halves")
    archive = tmp_path / "archive"
    paths = build_archive(archive, 42)
    halves = [tmp_path / "first", tmp_path / "second"]
    for half, part in zip(halves, (paths[:6], paths[-6:]), strict=True):  # 31 days apart at least
        half.mkdir()
        for path in part:
            shutil.copy(path, half / path.name)
    with load.open_warehouse(parse_warehouse(lake)):
        pass
    logs = [tmp_path / f"writer-{n}.log" for n in (1, 2)]
    writers = [start_backfill(half, lake, log) for half, log in zip(halves, logs, strict=True)]
    for writer, log in zip(writers, logs, strict=True):
        assert writer.wait(timeout=900) == 0, log.read_text(encoding="utf-8", errors="replace")[-3000:]
    _, issues = run_query(parse_warehouse(lake), "select run_id, count(*) from issues group by all")
    assert sorted(count for _, count in issues) == [6, 6]
    _, runs = run_query(parse_warehouse(lake), "select started_at, ended_at from runs")
    (first_start, first_end), (second_start, second_end) = runs
    assert first_start < second_end and second_start < first_end  # the two runs overlapped in time
    _, once = run_query(parse_warehouse(lake), "select count(*), count(distinct sha256) from issues")
    assert once == [(12, 12)]
    _, totals = run_query(
        parse_warehouse(lake),
        "select (select sum(files_loaded) from runs), (select sum(articles_accepted) from runs), "
        "(select count(*) from articles), (select count(distinct article_id) from articles)",
    )
    files, accepted, articles, distinct = totals[0]
    assert files == 12 and accepted == articles == distinct > 0  # the runs' totals are what is stored


def test_issues_within_the_near_duplicate_window_share_a_lock_and_further_apart_do_not(
    tmp_path: Path,
) -> None:
    paths = build_archive(tmp_path / "archive", 32)
    first, nearby, far = (lake_locks.load_keys("main", [bundle_of(paths[i])]) for i in (0, 30, 31))
    alone = {key for key, shared in first.locks if not shared}

    def meet(a: lake_locks.LoadKeys, b: lake_locks.LoadKeys) -> bool:
        """Tell whether two loads wait for each other: a key both hold, and not shared by both."""
        mode_a, mode_b = dict(a.locks), dict(b.locks)
        return any(not (mode_a[key] and mode_b[key]) for key in a.keys & b.keys)

    assert meet(first, nearby) and not meet(first, far)  # 30 days apart, then 31
    assert meet(first, first) and alone  # the same issue
    assert lake_locks.load_keys("other_lake", [bundle_of(paths[0])]).keys.isdisjoint(first.keys)
    assert [key for key, _ in first.locks] == sorted(first.keys)  # taken in one order by every writer


def test_two_backfills_of_one_archive_split_its_files_by_claims(catalog: Catalog, tmp_path: Path) -> None:
    from flows.runs.backfill import BatchItem, FileJob, read_batch
    from flows.storage.lake_claims import FileClaims

    lake = catalog.lake("claims")
    paths = build_archive(tmp_path / "archive", 3)
    with load.open_warehouse(parse_warehouse(lake)):
        pass
    first, second = FileClaims(parse_warehouse(lake), 60), FileClaims(parse_warehouse(lake), 60)
    try:
        mine = first.settle(read_batch(paths, set(), 10_000_000, settle_s=0))
        assert all(isinstance(item, FileJob) for item in mine)  # the first writer takes all three
        theirs = second.settle(read_batch(paths, set(), 10_000_000, settle_s=0))
        assert [isinstance(item, BatchItem) and item.deferred for item in theirs] == [True] * 3

        done = mine[0].item()  # the first writer loads one file and gives its claim back
        with load.open_warehouse(parse_warehouse(lake)) as con:
            bundle = transform_issue(read_issue(done.source_file, paths[0].read_bytes()), TODAY)
            assert bulk_load.load_issues(con, parse_warehouse(lake), [bundle], "first", lambda: NOW)[0].loaded
        first.release([done])
        again = second.settle(read_batch(paths, set(), 10_000_000, settle_s=0))
        assert [(item.already_loaded, item.deferred) for item in again] == [
            (True, False),
            (False, True),
            (False, True),
        ]

        first.close()  # a writer that stops (or dies) gives back every claim
        last = second.settle(read_batch(paths[1:], set(), 10_000_000, settle_s=0))
        assert all(isinstance(item, FileJob) for item in last)
    finally:
        first.close()
        second.close()
