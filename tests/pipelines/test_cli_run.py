"""``omniroute run`` (through Dagster) and ``omniroute sample``, called as the CLI is."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from pipelines.cli import main
from tests.read_only_holder import read_only_holder
from warehouse.connection import LOCK_WAIT_ENV, open_warehouse

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
    assert len(summary["files"]) == 14
    assert {"supply", "returns"} <= {f["kind"] for f in summary["files"]}
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


def _inbox_and_empty_warehouse(env: Path) -> Path:
    """A small inbox and an existing (empty) warehouse file an analyst can open."""
    assert main(["sample", "--out", str(env / "inbox"), *SMALL]) == 0
    database = env / "w" / "omniroute.duckdb"
    with open_warehouse(database):
        pass
    return database


def test_a_warehouse_held_open_too_long_fails_the_run_with_one_json_object(
    env, capsys, monkeypatch
):
    database = _inbox_and_empty_warehouse(env)
    capsys.readouterr()
    monkeypatch.setenv(LOCK_WAIT_ENV, "1")
    with read_only_holder(database, 300) as holder:
        code = main(["run", "--json"])
        assert holder.poll() is None  # still holding the file when the run gave up
    out, err = capsys.readouterr()
    summary = json.loads(out)  # exactly one JSON object: json.loads refuses anything more
    assert code == 1 and summary["status"] == "failure"
    assert "open in another process" in summary["error"] and str(database) in summary["error"]
    assert f"PID {holder.pid}" in summary["error"] and "\n" not in summary["error"]
    assert summary["run_id"] and summary["errors"][0].startswith("partner_files: ")
    assert summary["objective"] is None and summary["outbox"] is None
    assert "Traceback" not in err and "Stack Trace" not in err  # one line per failure


def test_a_warehouse_closed_within_the_wait_lets_the_run_succeed(env, capsys, monkeypatch, caplog):
    database = _inbox_and_empty_warehouse(env)
    capsys.readouterr()
    monkeypatch.setenv(LOCK_WAIT_ENV, "120")
    with (
        caplog.at_level(logging.WARNING, logger="warehouse.connection"),
        read_only_holder(database, 2),
    ):
        code = main(["run", "--json", "--log-level", "WARNING"])
    summary = json.loads(capsys.readouterr().out)
    assert code == 0 and summary["status"] == "success" and summary["error"] is None
    assert summary["objective"] is not None and Path(summary["outbox"]).is_dir()
    assert any("waiting up to 120 s" in r.getMessage() for r in caplog.records)  # it did wait


def test_a_run_that_cannot_start_still_prints_one_json_object(env, capsys, monkeypatch):
    assert main(["sample", "--out", str(env / "inbox"), *SMALL]) == 0
    capsys.readouterr()
    not_a_folder = env / "dagster_home_file"
    not_a_folder.write_text("not a folder\n", encoding="utf-8")
    monkeypatch.setenv("DAGSTER_HOME", str(not_a_folder))
    code = main(["run", "--json"])
    out, err = capsys.readouterr()
    summary = json.loads(out)
    assert code == 1 and summary["status"] == "error" and summary["run_id"] is None
    assert summary["error"].startswith("the run did not complete: ") and "Traceback" not in err
    assert main(["run"]) == 1  # as text: one line on stderr, nothing on stdout
    out, err = capsys.readouterr()
    assert out == "" and err.strip().count("\n") == 0
    assert err.startswith("omniroute run: the run did not complete: ")
    assert main(["run", "--log-level", "DEBUG"]) == 1  # DEBUG: the stack too
    assert "Traceback" in capsys.readouterr().err
