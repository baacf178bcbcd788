"""The code location loads whole: every asset, check, job, schedule, sensor and resource."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dagster as dg

from contracts.kinds import KINDS
from pipelines.automation import ALLOCATION_JOB
from pipelines.definitions import defs

ROOT = Path(__file__).resolve().parents[2]
ASSETS = {
    "partner_files",
    "available_to_promise",
    "allocation_plan",
    "kpi_report",
    "wave_outbox",
    "margin_mart",
    "benefit_estimates",
    "inventory_position",
    *(f"staging_{kind}" for kind in KINDS),
}


def test_definitions_load_with_their_wiring():
    dg.Definitions.validate_loadable(defs)
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert keys == ASSETS
    job = defs.resolve_job_def(ALLOCATION_JOB)
    assert {key.to_user_string() for key in job.asset_layer.executable_asset_keys} == ASSETS
    checks = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
    assert ("allocation_plan", "plan_is_feasible") in checks
    assert ("staging_orders", "ledger_reconciles") in checks
    assert ("allocation_plan", "line_identity_holds") in checks
    assert {s.name for s in defs.schedules or []} == {"allocation_wave_schedule"}
    assert {s.name for s in defs.sensors or []} == {"inbox_sensor", "dead_run_sensor"}
    assert set(defs.resources or {}) == {"warehouse", "inbox", "outbox"}


def test_dg_check_defs_accepts_the_project():
    dg_cli = Path(sys.executable).with_name("dg")
    done = subprocess.run(
        [str(dg_cli), "check", "defs"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "All definitions loaded successfully" in done.stdout
