"""``omniroute run`` (through Dagster) and ``omniroute sample``, called as the CLI is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.cli import main

SMALL = ("--orders=60", "--stores=4", "--dcs=2", "--skus=30")


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every path the run touches lives in tmp (env restored afterwards)."""
    places = {
        "OMNIROUTE_INBOX": "inbox",
        "OMNIROUTE_WAREHOUSE": "w/omniroute.duckdb",
        "OMNIROUTE_OUTBOX": "outbox",
        "DAGSTER_HOME": "dagster_home",
    }
    for name, sub in places.items():
        monkeypatch.setenv(name, str(tmp_path / sub))
    (tmp_path / "dagster_home").mkdir()
    return tmp_path


def test_sample_writes_a_small_inbox(env, capsys):
    assert main(["sample", "--out", str(env / "inbox"), *SMALL, "--seed", "3"]) == 0
    names = sorted(p.name for p in (env / "inbox").iterdir())
    assert names[:3] == ["exclusions.csv", "lanes.csv", "nodes.csv"]
    assert "orders_marketplace_errors.csv" in names
    assert "60 orders" in capsys.readouterr().out
    assert main(["sample", "--out", str(env / "x"), "--dcs", "99"]) == 2


def test_run_ingests_through_dagster_and_prints_one_json_object(env, capsys):
    assert main(["sample", "--out", str(env / "inbox"), *SMALL]) == 0
    capsys.readouterr()
    code = main(["run", "--json", "--log-level", "WARNING"])
    summary = json.loads(capsys.readouterr().out)  # stdout holds the JSON and nothing else
    assert code == 0 and summary["status"] == "success"
    assert summary["warehouse"] == str(env / "w" / "omniroute.duckdb")
    assert len(summary["files"]) == 12
    assert all(
        f["rows_read"] == f["rows_accepted"] + f["rows_rejected"] + f["rows_duplicate"]
        for f in summary["files"]
    )
    assert summary["staging_rows"]["nodes"] == 6 and summary["quarantined_rows"] == 13
    for key in (
        "run_id",
        "status",
        "objective",
        "best_bound",
        "gap",
        "plan_cost",
        "baseline_objective",
        "baseline_cost",
        "seconds",
        "allocation_seconds",
        "lines",
        "units_allocated",
        "units_backordered",
        "outbox",
    ):
        assert summary[key] is not None, key
    assert summary["objective"] <= summary["baseline_objective"] + 1e-6
    assert summary["best_bound"] <= summary["objective"] + 1e-6
    assert summary["lines"] == summary["staging_rows"]["orders"]
    outbox = Path(summary["outbox"])
    assert outbox == env / "outbox" / summary["run_id"]
    assert (outbox / "kpi_report.html").is_file() and (outbox / "backorders.csv").is_file()
    assert any((outbox / "instructions").glob("*.csv"))
    assert any((env / "dagster_home").iterdir())  # the run is recorded where the UI looks


def test_run_fails_clearly_without_an_inbox_or_with_a_bad_config(env, capsys, tmp_path):
    assert main(["run", "--inbox", str(tmp_path / "nowhere")]) == 2
    assert "does not exist" in capsys.readouterr().err
    (env / "inbox").mkdir()
    config = tmp_path / "run.yaml"
    config.write_text("max_parcels_per_order: 0\n", encoding="utf-8")
    assert main(["run", "--inbox", str(env / "inbox"), "--config", str(config)]) == 2
    assert "bad --config" in capsys.readouterr().err
