"""What a lake's setting and environment say: object-store credentials, hidden passwords, lock keys."""

from __future__ import annotations

from dataclasses import replace

import pytest

from flows.storage import lake_locks
from flows.storage.object_store import S3Secret, is_object_store, s3_secret_from_env
from flows.storage.warehouse import WarehouseSettingError, parse_warehouse, redact
from flows.transform import transform_issue
from tests.conftest import TODAY

KEYS = {"AWS_ACCESS_KEY_ID": "AKIA", "AWS_SECRET_ACCESS_KEY": "secret"}


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (KEYS, S3Secret("AKIA", "secret", "", "us-east-1", "s3.amazonaws.com", "vhost", True)),
        (
            {**KEYS, "AWS_ENDPOINT_URL": "http://minio.internal:9000", "AWS_REGION": "eu-west-1"},
            S3Secret("AKIA", "secret", "", "eu-west-1", "minio.internal:9000", "path", False),
        ),
        (
            {**KEYS, "AWS_ENDPOINT_URL_S3": "https://r2.example.com", "AWS_ENDPOINT_URL": "http://x:1"},
            S3Secret("AKIA", "secret", "", "us-east-1", "r2.example.com", "path", True),
        ),
        (
            {
                **KEYS,
                "AWS_DEFAULT_REGION": "ap-east-1",
                "NEWSPRINT_S3_URL_STYLE": "vhost",
                "AWS_SESSION_TOKEN": "t",
            },
            S3Secret("AKIA", "secret", "t", "ap-east-1", "s3.amazonaws.com", "vhost", True),
        ),
        ({"AWS_SECRET_ACCESS_KEY": "secret"}, None),  # no key: the machine's DuckDB secrets
    ],
)
def test_the_s3_secret_comes_from_the_aws_clients_variables(
    env: dict[str, str], expected: S3Secret | None
) -> None:
    assert s3_secret_from_env(env) == expected


def test_a_wrong_url_style_is_refused() -> None:
    with pytest.raises(ValueError, match="path or vhost"):
        s3_secret_from_env({**KEYS, "NEWSPRINT_S3_URL_STYLE": "virtual"})


def test_object_store_paths_are_told_from_folders_and_end_with_a_slash() -> None:
    assert [is_object_store(p) for p in ("s3://b/x", "GS://b", "r2://b", "/srv/lake", "https://h/x")] == [
        True,
        True,
        True,
        False,
        False,
    ]
    assert (
        parse_warehouse("ducklake:postgres:dbname=n DATA_PATH s3://bucket/lake").data_path
        == "s3://bucket/lake/"
    )


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (
            "ducklake:postgres:dbname=n user=w password=s3cr3t host=db",
            "ducklake:postgres:dbname=n user=w password=*** host=db",
        ),
        ("password = 'with space' port=1", "password = *** port=1"),
        ('at "dbname=n PASSWORD=s3cr3t"', 'at "dbname=n PASSWORD=***"'),
        ("postgresql://etl:s3cr3t@db:5432/newsprint", "postgresql://etl:***@db:5432/newsprint"),
        ("dbname=n user=w host=db", "dbname=n user=w host=db"),
    ],
)
def test_redact_hides_passwords_and_nothing_else(text: str, shown: str) -> None:
    assert redact(text) == shown


def test_a_bad_setting_is_refused_without_its_password() -> None:
    with pytest.raises(WarehouseSettingError) as refused:
        parse_warehouse("ducklake:sqlite:/tmp/c.sqlite password=s3cr3t")
    assert "s3cr3t" not in str(refused.value)


def test_an_undated_issue_takes_the_whole_lake(sample_issue) -> None:
    bundle = transform_issue(sample_issue, TODAY)
    undated = replace(bundle, parsed=replace(bundle.parsed, issue=replace(bundle.issue, issue_date=None)))
    assert lake_locks.load_keys("main", [undated]) == lake_locks.whole_lake("main")
    dated = lake_locks.load_keys("main", [bundle])
    alone = {key for key, shared in dated.locks if not shared}
    assert len(alone) == 2 + len(bundle.incoming_body_hashes())  # the issue, its day, its bodies
    assert len(dated.locks) - len(alone) == 2 * 30 + 1  # the window's other days, and the lake


@pytest.mark.parametrize(
    "setting",
    [
        "data/warehouse.duckdb",
        "ducklake:/srv/lake/catalog.ducklake",
        "ducklake:postgres:dbname=n password=s3cr3t DATA_PATH '/srv/it''s lake' METADATA_SCHEMA lake_a",
        "ducklake:postgres:dbname=n DATA_PATH s3://bucket/lake SEARCH_INDEX /srv/index.duckdb",
    ],
)
def test_a_warehouse_writes_back_as_a_setting_that_parses_to_itself(setting: str) -> None:
    warehouse = parse_warehouse(setting)
    assert parse_warehouse(warehouse.setting) == warehouse
    assert "s3cr3t" not in str(warehouse) and str(warehouse) == redact(warehouse.setting)


def test_a_bad_warehouse_option_is_a_bad_parameter_on_the_command_line() -> None:
    from typer.testing import CliRunner

    from flows.cli.app import app

    result = CliRunner().invoke(
        app, ["quality", "--warehouse", "ducklake:sqlite:/tmp/c.sqlite password=s3cr3t"]
    )
    assert result.exit_code == 2
    assert "a DuckLake catalog is a file" in result.output and "s3cr3t" not in result.output
