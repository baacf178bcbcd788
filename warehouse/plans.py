"""Plans in the warehouse, kept per ``run_id`` and never overwritten.

``plan.runs`` holds one row per run and method (optimizer | baseline): the solve's stats,
objective terms, settings and feedback (DuckDB ``JSON``: ``settings->>'mip_gap'``; Polars reads
them as text); ``plan.allocations``, ``plan.backorders``, ``plan.parcels``
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
from contracts.vocabulary import PlanMethod, RunKind
from optimizers.settings import AllocationSettings
from optimizers.types import AllocationInputs, AllocationResult, SolveStats
from warehouse.connection import read_table, table_exists
from warehouse.runs import write_run_frame
from warehouse.schema import create_table
from warehouse.staging import load_available_to_promise, load_staging

PLAN_TABLES = tuple(PLAN_FRAMES)
RUNS = "plan.runs"
RUNS_SCHEMA = pl.Schema(
    {
        "run_id": pl.String(),
        "method": pl.String(),
        "solver": pl.String(),
        "status": pl.String(),
        "objective": pl.Float64(),
        "best_bound": pl.Float64(),
        "gap": pl.Float64(),
        "seconds": pl.Float64(),
        "build_seconds": pl.Float64(),
        "solve_seconds": pl.Float64(),
        "extract_seconds": pl.Float64(),
        "fell_back": pl.Boolean(),
        "message": pl.String(),
        "plan_cost": pl.Float64(),
        "objective_terms": pl.String(),  # JSON in the warehouse (schema.JSON_COLUMNS)
        "settings": pl.String(),  # JSON
        "created_at": pl.Datetime("us", "UTC"),
        "kind": pl.String(),  # vocabulary.RunKind: wave | scenario
        "wave_at": pl.Datetime("us", "UTC"),  # the time the wave planned as of
        "published_at": pl.Datetime("us", "UTC"),  # set when the wave commits; null otherwise
        "units_open_before": pl.Int64(),  # open units the wave planned
        "units_instructed": pl.Int64(),
        "units_from_supply": pl.Int64(),  # instructed from supply on its way (available_at)
        "units_awaiting_supply": pl.Int64(),  # backordered until supply past the horizon
        "units_cancelled": pl.Int64(),  # open or instructed units this wave cancelled
        "units_open_after": pl.Int64(),
        "feedback": pl.String(),  # JSON: units shipped, rejected, cancelled applied
    }
)


def prepare_plans(con: duckdb.DuckDBPyConnection) -> None:
    """Create plan.runs and the plan frames' tables (idempotent, older ones completed)."""
    con.execute("SET TimeZone = 'UTC'")
    con.execute("CREATE SCHEMA IF NOT EXISTS plan")
    create_table(con, RUNS, RUNS_SCHEMA)
    for name, schema in PLAN_FRAMES.items():
        create_table(con, f"plan.{name}", {"run_id": pl.String(), "method": pl.String(), **schema})


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
    kind: str = RunKind.WAVE,
    wave_at: datetime | None = None,
    figures: dict[str, object] | None = None,
) -> None:
    """Store each plan (``{"optimizer": result, "baseline": result}``) under this run, as a
    wave (published once its transaction commits: ``published_at``) or a scenario."""
    prepare_plans(con)
    figures = dict(figures or {})
    if "feedback" in figures:
        figures["feedback"] = json.dumps(figures["feedback"], sort_keys=True)
    rows = [
        {
            "method": method,
            **_stats_row(plan, settings),
            "kind": str(kind),
            "wave_at": wave_at,
            **figures,
        }
        for method, plan in plans.items()
    ]
    frame = pl.DataFrame(rows).with_columns(
        pl.col("wave_at").cast(RUNS_SCHEMA["wave_at"]),
        published_at=pl.lit(None, RUNS_SCHEMA["published_at"]),
    )
    write_run_frame(con, RUNS, run_id, frame)
    for method, plan in plans.items():
        for name in PLAN_TABLES:
            write_run_frame(con, f"plan.{name}", run_id, getattr(plan, name), method=method)


def latest_plan_run(con: duckdb.DuckDBPyConnection, prefer: str | None = None) -> str | None:
    """``prefer`` when it has a stored plan (the current run: a published wave or a scenario),
    else the newest published wave (never a wave that did not commit)."""
    if not table_exists(con, RUNS):
        return None
    stored = f"SELECT 1 FROM {RUNS} WHERE run_id = ? AND (kind = ? OR published_at IS NOT NULL)"
    if prefer and con.execute(stored, [prefer, RunKind.SCENARIO.value]).fetchall():
        return prefer
    rows = con.execute(
        f"SELECT run_id FROM {RUNS} WHERE published_at IS NOT NULL "
        "ORDER BY published_at DESC LIMIT 1"
    ).fetchall()
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
