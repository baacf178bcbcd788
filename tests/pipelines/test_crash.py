"""kill -9 at every named point of a wave, then the next wave: whole or nothing, nothing lost.

A deployment with one published wave and the next wave's partner files is copied for every
crash point (``contracts.faults.POINTS``); the second wave runs in a child process that kills
itself there, then a third wave runs normally. Whatever the point, afterwards: every published
wave has a complete folder and no half folder is left, LATEST names the newest wave, the line
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

from contracts.faults import ENV, POINTS
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


def _run_child(root: Path, crash_at: str | None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **_env(root)}
    env.pop(ENV, None)
    if crash_at:
        env[ENV] = crash_at
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


@pytest.mark.parametrize("point", POINTS)
def test_a_wave_killed_anywhere_is_whole_or_absent(base, tmp_path, point):
    root = tmp_path / "d"
    shutil.copytree(base, root)
    killed = _run_child(root, point)
    assert killed.returncode == -9, f"{point}: {killed.returncode} {killed.stderr[-1500:]}"
    after_kill = _published(root)
    recovery = _run_child(root, None)
    assert recovery.returncode == 0, recovery.stderr[-2000:]
    summary = json.loads(recovery.stdout)
    waves = _published(root)
    assert waves[-1] == summary["run_id"] and waves[: len(after_kill)] == after_kill
    outbox = root / "outbox"
    assert not list(outbox.glob(".partial-*"))
    folders = {p.name for p in outbox.iterdir() if p.is_dir()}
    assert folders == set(waves)  # no folder of a wave that did not commit, none missing
    assert all((outbox / w / "_SUCCESS").is_file() for w in waves)
    assert (outbox / "LATEST").read_text().strip() == waves[-1]
    warehouse = root / "w" / "omniroute.duckdb"
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
