"""allocation_job end to end through a real Dagster: inbox -> warehouse -> outbox -> report."""

from __future__ import annotations

import os
import time
from datetime import UTC
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from assets.resources import InboxResource, WarehouseResource
from pipelines.automation import ALLOCATION_JOB, inbox_sensor
from pipelines.definitions import build_definitions
from pipelines.paths import ProjectPaths
from samples.inbox import write_inbox
from tests.pipelines.outbox_checker import check_outbox

SETTINGS = {"max_parcels_per_order": 2, "time_limit_s": 20.0}


@pytest.fixture(scope="module")
def job_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("job")


@pytest.fixture(scope="module")
def inbox_frames(job_root, sample_inbox) -> dict[str, pl.DataFrame]:
    return sample_inbox(job_root / "inbox", orders=150, seed=11, stores=8, dcs=2, skus=40)


def _deployment(root: Path, inbox: Path) -> ProjectPaths:
    return ProjectPaths(inbox=inbox, warehouse=root / "w.duckdb", outbox=root / "out")


def _waves(paths: ProjectPaths, count: int) -> list[dg.ExecuteInProcessResult]:
    job = build_definitions(paths).resolve_job_def(ALLOCATION_JOB)
    run_config = SETTINGS  # the job's config: a preset (daily_wave) and fields over it
    with dg.DagsterInstance.ephemeral() as instance:
        return [
            job.execute_in_process(run_config=run_config, instance=instance, raise_on_error=False)
            for _ in range(count)
        ]


@pytest.fixture(scope="module")
def two_runs(job_root, inbox_frames):
    """The same inbox allocated twice in one warehouse (the second run ingests nothing new)."""
    # The checker's truth is the generated frames: leave out the deliberately broken file.
    (job_root / "inbox" / "orders_marketplace_errors.csv").unlink()
    paths = _deployment(job_root, job_root / "inbox")
    return paths, _waves(paths, 2)


def test_every_asset_and_check_succeeds(two_runs):
    _, results = two_runs
    for result in results:
        assert result.success
        failed = [
            (e.asset_key.to_user_string(), e.check_name)
            for e in result.get_asset_check_evaluations()
            if not e.passed
        ]
        assert failed == []
        keys = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
        assert {
            "allocation_plan",
            "kpi_report",
            "wave_outbox",
            "margin_mart",
            "benefit_estimates",
        } <= keys


def test_outbox_honours_the_inputs_by_an_independent_check(two_runs, inbox_frames):
    paths, results = two_runs
    run_dir = paths.outbox / results[0].run_id
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        wave_at = con.sql(
            "SELECT max(wave_at) FROM plan.runs WHERE run_id = ?", params=[results[0].run_id]
        ).fetchall()[0][0]
    day = wave_at.astimezone(UTC).date()
    assert check_outbox(inbox_frames, run_dir, SETTINGS["max_parcels_per_order"], day) == []
    assert not list(run_dir.glob("kpi_report.*"))  # the folder is for partners
    (page,) = (paths.outbox / "reports").glob(f"*_{results[0].run_id[:8]}.html")
    assert page.with_suffix(".md").read_text().startswith("# Wave ")
    assert "Plotly.newPlot" in page.read_text()
    # The rerun found nothing new: a complete folder with no instruction for anyone.
    rerun = paths.outbox / results[1].run_id
    assert (rerun / "_SUCCESS").is_file() and not (rerun / "instructions").exists()
    assert (paths.outbox / "LATEST").read_text().strip() == results[1].run_id


def test_plans_are_kept_per_run_and_the_same_inputs_give_the_same_plan(
    two_runs, tmp_path, inbox_frames
):
    paths, results = two_runs
    first, second = (r.run_id for r in results)
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        runs = con.sql("SELECT run_id, method FROM plan.runs ORDER BY ALL").fetchall()
        assert sorted(runs) == sorted(
            [(first, "baseline"), (first, "optimizer"), (second, "baseline"), (second, "optimizer")]
        )
        plan = _plan(con, first)
        assert plan and _plan(con, second) == []  # nothing open the second time: nothing planned
        kpis = con.sql("SELECT count(DISTINCT run_id), count(*) FROM marts.kpis").fetchall()
        assert kpis[0][0] == 2 and kpis[0][1] > 20
        benefits = con.sql(
            "SELECT capability FROM marts.benefit_estimates WHERE run_id = ?", params=[first]
        ).fetchall()
        assert sorted(b[0] for b in benefits) == ["bopis", "boris", "ship_from_store"]
        margins = con.sql(
            "SELECT sum(quantity) FROM marts.line_margins WHERE run_id = ?", params=[first]
        ).fetchall()[0][0]
        allocated = con.sql(
            "SELECT sum(quantity) FROM plan.allocations WHERE run_id = ? AND method = 'optimizer'",
            params=[first],
        ).fetchall()[0][0]
        assert margins == allocated > 0
    # Another deployment of the same inbox makes the same plan.
    twin = _deployment(tmp_path, paths.inbox)
    again = _waves(twin, 1)[0]
    with duckdb.connect(str(twin.warehouse), read_only=True) as con:
        assert _plan(con, again.run_id) == plan


def _plan(con: duckdb.DuckDBPyConnection, run_id: str) -> list[tuple]:
    return con.sql(
        "SELECT order_id, line_no, node_id, quantity, fulfillment_method "
        "FROM plan.allocations WHERE run_id = ? AND method = 'optimizer' ORDER BY ALL",
        params=[run_id],
    ).fetchall()


def test_inbox_sensor_requests_a_run_once_per_new_file(tmp_path, inbox_frames):
    inbox = tmp_path / "inbox"
    write_inbox(inbox_frames, inbox, "csv")
    resources = {
        "inbox": InboxResource(path=str(inbox)),
        "warehouse": WarehouseResource(path=str(tmp_path / "none_yet.duckdb")),
    }

    def tick(cursor: str | None):
        context = dg.build_sensor_context(cursor=cursor, resources=resources)
        return inbox_sensor(context)

    first = tick(None)
    assert len(first.run_requests) == 1 and first.run_requests[0].job_name in (None, ALLOCATION_JOB)
    assert first.run_requests[0].run_config == {"preset": "daily_wave", "business_timezone": "UTC"}
    again = tick(first.cursor)
    assert again.run_requests == [] and again.skip_reason
    (inbox / "orders_late_wave.csv").write_text(
        (inbox / "orders_web.csv").read_text(encoding="utf-8"), encoding="utf-8"
    )
    third = tick(again.cursor)
    assert len(third.run_requests) == 1
    assert third.run_requests[0].run_key != first.run_requests[0].run_key
    assert "orders_late_wave.csv" in third.run_requests[0].tags["omniroute/new_files"]


def test_a_sensor_turned_on_after_waves_ran_counts_only_files_not_yet_ingested(two_runs):
    """The first tick has no cursor: the warehouse's ledger says which files are old."""
    paths, _ = two_runs
    resources = {
        "inbox": InboxResource(path=str(paths.inbox), quiet_seconds=0),
        "warehouse": WarehouseResource(path=str(paths.warehouse)),
    }
    first = inbox_sensor(dg.build_sensor_context(cursor=None, resources=resources))
    assert first.run_requests == [] and "No new partner files" in (
        first.skip_reason.skip_message or ""
    )
    late = paths.inbox / "orders_late_wave.csv"
    late.write_text((paths.inbox / "orders_web.csv").read_text(encoding="utf-8") + "\n")
    try:
        fresh = inbox_sensor(dg.build_sensor_context(cursor=None, resources=resources))
        assert [r.tags["omniroute/new_files"] for r in fresh.run_requests] == [late.name]
    finally:
        late.unlink()


def test_inbox_sensor_waits_for_a_file_still_being_written(tmp_path, inbox_frames):
    inbox = tmp_path / "inbox"
    write_inbox(inbox_frames, inbox, "csv")
    past = time.time() - 60
    for path in inbox.iterdir():
        os.utime(path, (past, past))
    resources = {
        "inbox": InboxResource(path=str(inbox), quiet_seconds=30),
        "warehouse": WarehouseResource(path=str(tmp_path / "none_yet.duckdb")),
    }

    def tick(cursor: str | None):
        return inbox_sensor(dg.build_sensor_context(cursor=cursor, resources=resources))

    settled = tick(None)
    assert len(settled.run_requests) == 1
    (inbox / "orders_arriving.csv").write_text("order_id,line_no\nORD-1,1\n", encoding="utf-8")
    (inbox / "orders_next.csv.part").write_text("order_id\n", encoding="utf-8")
    waiting = tick(settled.cursor)
    reason = waiting.skip_reason.skip_message or ""
    assert waiting.run_requests == [] and "orders_arriving.csv" in reason
    assert "orders_next" not in reason  # .part files are never looked at
    os.utime(inbox / "orders_arriving.csv", (past, past))
    arrived = tick(settled.cursor)
    assert len(arrived.run_requests) == 1
    assert arrived.run_requests[0].tags["omniroute/new_files"] == "orders_arriving.csv"
