"""Plans and marts in the warehouse, kept per ``run_id`` and never overwritten.

Plain functions over a DuckDB connection. Each table gets ``run_id`` (and, for plan tables,
``method``: optimizer | baseline) in front of the frame's own columns; tables are created on
first write from the frame's shape, rows are inserted by column name. Re-executing the same
run replaces that run's rows only.
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from datetime import UTC, datetime

import duckdb
import polars as pl

from contracts.tables import ATP_SCHEMA, STAGING_SCHEMAS
from contracts.warehouse import ATP_TABLE, insert_frame, load_staging, read_table
from optimizers.types import AllocationInputs, AllocationResult, AllocationSettings, SolveStats

PLAN_TABLES = ("allocations", "backorders", "parcels", "explanations")
RUNS = "plan.runs"


def _qualified(table: str) -> tuple[str, str]:
    schema, name = table.split(".")
    return schema, name


def write_run_frame(con: duckdb.DuckDBPyConnection, table: str, run_id: str, frame: pl.DataFrame,
                    **constants: str) -> None:  # fmt: skip
    """Replace this run's rows of ``table`` (schema.name) with ``frame``, tagged with run_id."""
    schema, _ = _qualified(table)
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    tagged = frame.with_columns(
        *(pl.lit(value, pl.String).alias(name) for name, value in constants.items()),
        pl.lit(run_id, pl.String).alias("run_id"),
    ).select("run_id", *constants, *frame.columns)
    tagged = tagged.with_columns(
        pl.col(c).cast(pl.String) for c, t in tagged.schema.items() if t == pl.Null
    )
    con.register("_shape", tagged.head(0))
    try:
        con.execute(f"CREATE TABLE IF NOT EXISTS {table} AS SELECT * FROM _shape")
    finally:
        con.unregister("_shape")
    where = " AND ".join(["run_id = ?", *(f"{name} = ?" for name in constants)])
    con.execute(f"DELETE FROM {table} WHERE {where}", [run_id, *constants.values()])
    insert_frame(con, table, tagged)


def _stats_row(result: AllocationResult, settings: AllocationSettings) -> dict[str, object]:
    terms = {f"{k}": float(v) for k, v in result.objective_terms.items()}
    return {
        **asdict(result.stats),
        "plan_cost": float(result.plan_cost),
        "objective_terms": json.dumps(terms, sort_keys=True),
        "settings": json.dumps(asdict(settings), sort_keys=True),
        "created_at": datetime.now(UTC),
    }


def write_plan(con: duckdb.DuckDBPyConnection, run_id: str, settings: AllocationSettings,
               plans: dict[str, AllocationResult]) -> None:  # fmt: skip
    """Store each plan (``{"optimizer": result, "baseline": result}``) under this run."""
    rows = [{"method": method, **_stats_row(plan, settings)} for method, plan in plans.items()]
    write_run_frame(con, RUNS, run_id, pl.DataFrame(rows))
    for method, plan in plans.items():
        for name in PLAN_TABLES:
            write_run_frame(con, f"plan.{name}", run_id, getattr(plan, name), method=method)


def latest_plan_run(con: duckdb.DuckDBPyConnection, prefer: str | None = None) -> str | None:
    """``prefer`` when it has a plan (the current run), else the newest planned run."""
    if not _exists(con, RUNS):
        return None
    if prefer and con.execute(f"SELECT 1 FROM {RUNS} WHERE run_id = ?", [prefer]).fetchall():
        return prefer
    rows = con.execute(f"SELECT run_id FROM {RUNS} ORDER BY created_at DESC LIMIT 1").fetchall()
    return rows[0][0] if rows else None


def _exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    schema, name = _qualified(table)
    query = "SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name = ?"
    return bool(con.execute(query, [schema, name]).fetchall())


def load_plan(con: duckdb.DuckDBPyConnection, run_id: str, method: str) -> AllocationResult:
    """A stored plan back as an ``AllocationResult`` (frames, stats, objective terms)."""
    runs = read_table(con, f"SELECT * FROM {RUNS} WHERE run_id = ? AND method = ?",
                      [run_id, method])  # fmt: skip
    if runs.is_empty():
        raise LookupError(f"no {method} plan stored for run {run_id}")
    row = runs.row(0, named=True)
    stats = SolveStats(**{f.name: row[f.name] for f in fields(SolveStats)})
    frames = {
        name: read_table(
            con, f"SELECT * EXCLUDE (run_id, method) FROM plan.{name} "
            "WHERE run_id = ? AND method = ?", [run_id, method],
        )
        for name in PLAN_TABLES
    }  # fmt: skip
    return AllocationResult(
        **frames, stats=stats, objective_terms=json.loads(row["objective_terms"])
    )


def load_inputs(con: duckdb.DuckDBPyConnection) -> AllocationInputs:
    """The validated staging tables and ATP, shaped as the optimizer's inputs."""
    frames = {
        kind: load_staging(con, kind).select(list(STAGING_SCHEMAS[kind]))
        for kind in ("orders", "nodes", "products", "rates", "lanes", "exclusions")
    }
    atp = read_table(con, f"SELECT * FROM {ATP_TABLE}").cast(ATP_SCHEMA)  # type: ignore[arg-type]
    return AllocationInputs.from_frames(frames, atp)


NO_PLAN = "No allocation plan in the warehouse yet: materialize allocation_plan first."


def plan_run_id(con: duckdb.DuckDBPyConnection, prefer: str) -> str:
    """The run whose plan downstream stages use: this run's, else the newest (raises if none)."""
    run_id = latest_plan_run(con, prefer=prefer)
    if run_id is None:
        raise LookupError(NO_PLAN)
    return run_id
