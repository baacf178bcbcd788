"""``omniroute run`` (through Dagster) and ``omniroute sample``, called as the CLI is."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.cli import main
from pipelines.cli.summary import RunSummary, _add_judgement, print_summary
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


def test_run_shows_progress_on_stderr_and_judges_the_plan_on_stdout(env, capsys):
    """As text: each step as it ends on stderr; fill, on-time and the gap on stdout."""
    assert main(["sample", "--out", str(env / "inbox"), *SMALL]) == 0
    capsys.readouterr()
    assert main(["run", "--preset", "quick_look", "--set", "mip_gap=0.0000001"]) == 0
    out, err = capsys.readouterr()
    steps = [line for line in err.splitlines() if line.startswith("[") and " done in " in line]
    assert any("allocation_plan" in line for line in steps) and len(steps) >= 15
    assert "(preset quick_look)" in out
    assert "of units" in out and "of lines" in out and "of orders; on time:" in out
    assert "requested 0.000 %" in out  # the requested gap is printed beside the proven one
    assert "dry run: stored as a scenario" in out  # quick_look publishes nothing


def _judged(gap: float, requested: float) -> str:
    summary = RunSummary(run_id="r", status="success", seconds=1.0, inbox="i", warehouse="w")
    summary.objective, summary.gap, summary.best_bound, summary.plan_cost = 100.0, gap, 99.0, 80.0
    summary.requested_gap, summary.allocation_seconds = requested, 1.0
    summary.baseline_units_allocated, summary.units_allocated = 12, 10
    _add_judgement(summary, {"fill_rate_units": 0.9, "backordered_units.uneconomic": 2}, {})
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        print_summary(summary, as_json=False)
    return buffer.getvalue()


def test_a_missed_gap_is_a_visible_warning_and_a_met_one_is_not():
    missed = _judged(gap=0.0106, requested=0.005)
    assert "WARNING: the requested gap was not reached" in missed
    assert "within 1.060 % of the optimum, not 0.500 %" in missed
    assert "WARNING" not in _judged(gap=0.004, requested=0.005)
    assert "filled: 90.0 % of units" in missed
    assert "the baseline fills 2 more units" in missed and "2 units are backordered" in missed


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
    assert (outbox / "backorders.csv").is_file() and not (outbox / "kpi_report.html").exists()
    assert list((env / "outbox" / "reports").glob(f"*_{summary['run_id'][:8]}.html"))
    assert summary["report"] and Path(summary["report"]).is_file()
    assert any((outbox / "instructions").glob("*.csv"))
    assert any((env / "dagster_home").iterdir())  # the run is recorded where the UI looks
    # the analyst's next step: the same warehouse in the SQL shell, from the command line
    assert main(["sql", "-c", "SELECT count(*) AS waves FROM plan.runs WHERE kind = 'wave'"]) == 0
    assert "waves" in capsys.readouterr().out
    assert main(["sql", "-c", "SELECT * FROM no_such_table"]) == 1
    assert main(["sql", "--warehouse", str(env / "nowhere.duckdb"), "-c", "SELECT 1"]) == 2
    capsys.readouterr()
    piped = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "sql"],
        input=".tables\nSELECT run_id FROM plan.runs WHERE method = 'optimizer';\n"
        "INSERT INTO plan.runs (run_id) VALUES ('x');\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert summary["run_id"] in piped.stdout and "plan.runs" in piped.stdout
    assert piped.returncode == 1 and "read-only" in (piped.stdout + piped.stderr).lower()


def test_run_fails_clearly_without_an_inbox_or_with_a_bad_config(env, capsys, tmp_path):
    assert main(["run", "--inbox", str(tmp_path / "nowhere")]) == 2
    assert "does not exist" in capsys.readouterr().err
    (env / "inbox").mkdir()
    config = tmp_path / "run.yaml"
    config.write_text("max_parcels_per_order: 0\n", encoding="utf-8")
    assert main(["run", "--inbox", str(env / "inbox"), "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert f"bad settings: {config}: max_parcels_per_order = 0: input should be" in err
    for bad, sentence in (
        (["--set", "mip_gap=5"], "mip_gap = 5: input should be less than or equal to 1"),
        (["--set", "time_limit_s=-3"], "time_limit_s = -3: input should be greater than 0"),
        (["--set", "solver=gurobi"], "solver = 'gurobi'"),
        (["--preset", "weekly"], "unknown preset 'weekly'"),
        (["--set", "mip_gap"], "expected NAME=VALUE"),
    ):
        assert main(["run", "--inbox", str(env / "inbox"), "--json", *bad]) == 2
        out, err = capsys.readouterr()
        assert sentence in json.loads(out)["error"] and "Traceback" not in err
    assert main(["run", "--no-such-flag"]) == 2  # Click's usage error, not a traceback
    assert "No such option" in capsys.readouterr().err


def test_help_lists_exit_codes_presets_and_columns(capsys):
    assert main(["run", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "Exit codes: 0 a plan" in text and "quick_look" in text and "month_end" in text
    assert main(["validate", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "Exit codes: 0 every file clean, 1 some row rejected" in text
    assert "orders: order_id, line_no" in text and "docs/partner_contract.md" in text
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    assert all(command in text for command in ("run", "validate", "sample", "sql", "contract"))


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
    assert main(["run"]) == 1  # as text: the error in one line on stderr, nothing on stdout
    out, err = capsys.readouterr()
    progress, *rest = err.strip().splitlines()  # the progress display's first line, then
    assert out == "" and progress == "omniroute run: starting the wave"  # one error line
    assert len(rest) == 1 and rest[0].startswith("omniroute run: the run did not complete: ")
    assert main(["run", "--log-level", "DEBUG"]) == 1  # DEBUG: the stack too
    assert "Traceback" in capsys.readouterr().err
