"""Plans in the warehouse, kept per ``run_id`` and never overwritten.

``plan.runs`` holds one row per run and method (optimizer | baseline): the solve's stats,
objective terms and settings (JSON); ``plan.allocations``, ``plan.backorders``, ``plan.parcels``
and ``plan.explanations`` hold the frames (``contracts.results``), tagged with run_id and
method. ``load_inputs`` reads the staging tables back as the optimizer's inputs.
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from datetime import UTC, datetime

import duckdb
import polars as pl

from contracts.results import PLAN_FRAMES
from contracts.tables import STAGING_SCHEMAS
from contracts.vocabulary import PlanMethod
from optimizers.settings import AllocationSettings
from optimizers.types import AllocationInputs, AllocationResult, SolveStats
from warehouse.connection import read_table, table_exists
from warehouse.runs import write_run_frame
from warehouse.staging import load_available_to_promise, load_staging

PLAN_TABLES = tuple(PLAN_FRAMES)
RUNS = "plan.runs"


def _stats_row(result: AllocationResult, settings: AllocationSettings) -> dict[str, object]:
    terms = {f"{k}": float(v) for k, v in result.objective_terms.items()}
    return {
        **asdict(result.stats),
        "plan_cost": float(result.plan_cost),
        "objective_terms": json.dumps(terms, sort_keys=True),
        "settings": json.dumps(settings.model_dump(), sort_keys=True),
        "created_at": datetime.now(UTC),
    }


def write_plan(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    settings: AllocationSettings,
    plans: dict[str, AllocationResult],
) -> None:
    """Store each plan (``{"optimizer": result, "baseline": result}``) under this run."""
    rows = [{"method": method, **_stats_row(plan, settings)} for method, plan in plans.items()]
    write_run_frame(con, RUNS, run_id, pl.DataFrame(rows))
    for method, plan in plans.items():
        for name in PLAN_TABLES:
            write_run_frame(con, f"plan.{name}", run_id, getattr(plan, name), method=method)


def latest_plan_run(con: duckdb.DuckDBPyConnection, prefer: str | None = None) -> str | None:
    """``prefer`` when it has a plan (the current run), else the newest planned run."""
    if not table_exists(con, RUNS):
        return None
    if prefer and con.execute(f"SELECT 1 FROM {RUNS} WHERE run_id = ?", [prefer]).fetchall():
        return prefer
    rows = con.execute(f"SELECT run_id FROM {RUNS} ORDER BY created_at DESC LIMIT 1").fetchall()
    return rows[0][0] if rows else None


def load_plan(con: duckdb.DuckDBPyConnection, run_id: str, method: str) -> AllocationResult:
    """A stored plan back as an ``AllocationResult`` (frames, stats, objective terms)."""
    runs = read_table(
        con, f"SELECT * FROM {RUNS} WHERE run_id = ? AND method = ?", [run_id, method]
    )
    if runs.is_empty():
        raise LookupError(f"no {method} plan stored for run {run_id}")
    row = runs.row(0, named=True)
    stats = SolveStats(**{f.name: row[f.name] for f in fields(SolveStats)})
    frames = {
        name: read_table(
            con,
            f"SELECT * EXCLUDE (run_id, method) FROM plan.{name} WHERE run_id = ? AND method = ?",
            [run_id, method],
        )
        for name in PLAN_TABLES
    }
    return AllocationResult(
        allocations=frames["allocations"],
        backorders=frames["backorders"],
        parcels=frames["parcels"],
        explanations=frames["explanations"],
        stats=stats,
        objective_terms=json.loads(row["objective_terms"]),
    )


def load_inputs(con: duckdb.DuckDBPyConnection) -> AllocationInputs:
    """The validated staging tables and ATP, shaped as the optimizer's inputs."""
    frames = {
        kind: load_staging(con, kind).select(list(STAGING_SCHEMAS[kind]))
        for kind in ("orders", "nodes", "products", "rates", "lanes", "exclusions")
    }
    return AllocationInputs.from_frames(frames, load_available_to_promise(con))


NO_PLAN = "No allocation plan in the warehouse yet: materialize allocation_plan first."


def plan_run_id(con: duckdb.DuckDBPyConnection, prefer: str) -> str:
    """The run whose plan downstream stages use: this run's, else the newest (raises if none)."""
    run_id = latest_plan_run(con, prefer=prefer)
    if run_id is None:
        raise LookupError(NO_PLAN)
    return run_id


def load_settings(con: duckdb.DuckDBPyConnection, run_id: str) -> AllocationSettings:
    """The settings the run's optimizer plan was made with."""
    rows = con.execute(
        f"SELECT settings FROM {RUNS} WHERE run_id = ? AND method = ?",
        [run_id, PlanMethod.OPTIMIZER.value],
    ).fetchall()
    if not rows:
        raise LookupError(f"no optimizer plan stored for run {run_id}")
    return AllocationSettings.model_validate_json(rows[0][0])
