"""bench/floor.py replays exactly what the backfill stored and validated, or its floor means nothing."""

from __future__ import annotations

from pathlib import Path

from bench.floor import Timer, all_at_once, check, row_counts, run_pipeline, store
from bench.synthetic import build_archive
from schemas.articles import ArticleSchema
from schemas.findings import FindingSchema
from schemas.issues import IssueSchema
from schemas.reporters import ReporterSchema


def test_the_replays_store_every_row_the_backfill_stored(tmp_path: Path) -> None:
    paths = build_archive(tmp_path / "archive", 7)
    timer = Timer()
    recorder, texts = run_pipeline(paths, str(tmp_path / "pipeline.duckdb"), 3, timer)
    assert len(recorder.inserts) == 3  # batches of 3, 3 and 1 issues
    assert set(timer.seconds) == {"read"}
    pipeline = row_counts(str(tmp_path / "pipeline.duckdb"))
    assert pipeline["issues"] == 7
    assert pipeline["articles"] + pipeline["rejected_articles"] == len(texts)
    merged_inserts, _ = all_at_once(recorder)
    for name, inserts in (("batched", recorder.inserts), ("merged", merged_inserts)):
        store(inserts, str(tmp_path / f"{name}.duckdb"))
        assert row_counts(str(tmp_path / f"{name}.duckdb")) == pipeline, name


def test_the_pandera_runs_are_the_backfills_one_per_model_and_batch(tmp_path: Path) -> None:
    paths = build_archive(tmp_path / "archive", 4)
    recorder, _ = run_pipeline(paths, str(tmp_path / "pipeline.duckdb"), 2, Timer())
    models = [schema for schema, _ in recorder.pandera]
    assert sorted(m.__name__ for m in models) == sorted(
        m.__name__ for m in (ArticleSchema, IssueSchema, ReporterSchema, FindingSchema) for _ in range(2)
    )
    _, merged_runs = all_at_once(recorder)
    articles = {schema: frame for schema, frame in merged_runs}[ArticleSchema]
    assert articles.height == sum(f.height for s, f in recorder.pandera if s is ArticleSchema)
    assert set(check(merged_runs).seconds) == {m.__name__ for m in models}
