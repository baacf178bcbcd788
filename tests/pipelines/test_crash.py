"""kill -9 at every named point of a wave, or a full disk under the warehouse or the outbox,
then the next wave: whole or nothing, nothing lost, and the error names the real cause.

A deployment with one published wave and the next wave's partner files is copied for every
crash point (``contracts.faults.POINTS``); the second wave runs in a child process that kills
itself there, then a third wave runs normally. Whatever the point, afterwards: every published
wave has a complete folder and no half folder is left, LATEST names the newest wave, every
wave has its whole KPI report page in outbox/reports (a wave killed before its report gets it
from the next run) and reports/LATEST names the newest page, the line
identity holds, no line is instructed twice, no stock is promised twice, every shipment in
the inbox was applied exactly once, and the killed Dagster run is marked failed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from contracts.faults import DISK_FULL_ENV, ENV, POINTS
from pipelines.cli import main
from tests.pipelines import wave_checks as check

SAMPLE = ["--orders=120", "--seed=5", "--stores=6", "--dcs=2", "--skus=30"]
ROOT = Path(__file__).resolve().parents[2]


def _env(root: Path) -> dict[str, str]:
    return {
        "OMNIROUTE_INBOX": str(root / "inbox"),
        "OMNIROUTE_WAREHOUSE": str(root / "w" / "omniroute.duckdb"),
        "OMNIROUTE_OUTBOX": str(root / "outbox"),
        "DAGSTER_HOME": str(root / "dagster_home"),
    }


def _run_child(
    root: Path, crash_at: str | None, disk_full_at: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **_env(root)}
    env.pop(ENV, None)
    env.pop(DISK_FULL_ENV, None)
    if crash_at:
        env[ENV] = crash_at
    if disk_full_at:
        env[DISK_FULL_ENV] = disk_full_at
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "run", "--json", "--log-level", "ERROR"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """One published wave and the next wave's files in the inbox."""
    root = tmp_path_factory.mktemp("base")
    (root / "dagster_home").mkdir()
    assert main(["sample", "--out", str(root / "inbox"), *SAMPLE]) == 0
    first = _run_child(root, None)
    assert first.returncode == 0, first.stderr[-2000:]
    args = ["--inbox", str(root / "inbox"), "--outbox", str(root / "outbox")]
    assert main(["sample", "--next-wave", *args, "--out", str(root / "inbox"), "--orders=40"]) == 0
    return root


def _published(root: Path) -> list[str]:
    runs = check.query(
        root / "w" / "omniroute.duckdb",
        "SELECT DISTINCT run_id, published_at FROM plan.runs WHERE kind = 'wave' AND "
        "published_at IS NOT NULL ORDER BY published_at",
    )
    return runs["run_id"].to_list()


# the report's pages are written after the marts: killed between its Markdown and its page


@pytest.mark.parametrize("point", POINTS)
def test_a_wave_killed_anywhere_is_whole_or_absent(base, tmp_path, point):
    root = tmp_path / "d"
    shutil.copytree(base, root)
    killed = _run_child(root, point)
    assert killed.returncode == -9, f"{point}: {killed.returncode} {killed.stderr[-1500:]}"
    _recovers_whole(root)


# a full disk under the warehouse (staging, the wave's transaction) and under the outbox
DISK_FULL = ("stage.before_commit", "publish.before_commit", "outbox.after_first_file")


@pytest.mark.parametrize("point", DISK_FULL)
def test_a_full_disk_fails_the_wave_with_its_cause_and_the_next_wave_recovers(
    base, tmp_path, point
):
    root = tmp_path / "d"
    shutil.copytree(base, root)
    failed = _run_child(root, None, disk_full_at=point)
    assert failed.returncode == 1, failed.stderr[-1500:]
    summary = json.loads(failed.stdout)  # one JSON object, also on failure
    assert summary["status"] == "failure"
    assert "No space left on device" in summary["error"], summary["error"]
    assert "cannot rollback" not in failed.stdout + failed.stderr
    _recovers_whole(root)


def _recovers_whole(root: Path) -> None:
    """After a fault: no half plan is visible, and the next wave publishes everything once."""
    after_fault = _published(root)
    warehouse = root / "w" / "omniroute.duckdb"
    half = check.query(
        warehouse,
        "SELECT r.run_id FROM plan.runs r WHERE r.kind = 'wave' AND (r.published_at IS NULL "
        "OR NOT EXISTS (SELECT 1 FROM plan.allocations a WHERE a.run_id = r.run_id "
        "UNION ALL SELECT 1 FROM plan.backorders b WHERE b.run_id = r.run_id))",
    )
    assert half.is_empty(), "a plan row without its wave"
    recovery = _run_child(root, None)
    assert recovery.returncode == 0, recovery.stderr[-2000:]
    summary = json.loads(recovery.stdout)
    waves = _published(root)
    assert waves[-1] == summary["run_id"] and waves[: len(after_fault)] == after_fault
    outbox = root / "outbox"
    assert not list(outbox.glob(".partial-*"))
    folders = {p.name for p in outbox.iterdir() if p.is_dir()} - {"reports"}
    assert folders == set(waves)  # no folder of a wave that did not commit, none missing
    assert not [p for p in outbox.glob("*/kpi_report.*")]  # the report is no partner file
    assert all((outbox / w / "_SUCCESS").is_file() for w in waves)
    assert (outbox / "LATEST").read_text().strip() == waves[-1]
    pages = dict(check.query(warehouse, "SELECT run_id, page FROM marts.reports").iter_rows())
    assert set(waves) <= set(pages), "a published wave without its report"
    reports = outbox / "reports"
    for wave in waves:
        page = (reports / f"{pages[wave]}.html").read_text()
        assert page.rstrip().endswith("</html>") and (reports / f"{pages[wave]}.md").is_file()
    assert (reports / "LATEST").read_text().strip() == f"{pages[waves[-1]]}.html"
    assert check.identity_breaks(warehouse).is_empty()
    assert check.over_instructed(warehouse, outbox).is_empty()
    assert check.over_promised(warehouse).is_empty()
    # every shipment of the inbox applied exactly once, whichever wave applied it
    sent = pl.read_csv(root / "inbox" / "shipments_wave2.csv")["quantity"].sum()
    shipped = check.query(warehouse, "SELECT sum(shipped) AS s FROM plan.line_status").item()
    assert shipped == sent
    with dg.DagsterInstance.from_config(str(root / "dagster_home")) as instance:
        stuck = instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
    assert stuck == []
