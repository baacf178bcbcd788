"""What one run did, read back from the warehouse (for the command line's summary)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb

from contracts.kinds import KINDS
from warehouse.connection import count_rows, read_table, table_exists
from warehouse.plans import RUNS
from warehouse.schema import LEDGER, REJECTED


@dataclass
class IntakeSummary:
    """This run's ledger rows, the staging sizes and the rows quarantined this run."""

    files: list[dict[str, Any]] = field(default_factory=list)
    staging_rows: dict[str, int] = field(default_factory=dict)
    quarantined_rows: int = 0


def intake_summary(con: duckdb.DuckDBPyConnection, run_id: str) -> IntakeSummary:
    """The run's intake, or an empty summary when nothing was ever ingested."""
    if not table_exists(con, LEDGER):
        return IntakeSummary()
    ledger = read_table(
        con,
        "SELECT file_name, kind, status, rows_read, rows_accepted, rows_rejected, "
        f"rows_duplicate, rows_amended, message FROM {LEDGER} WHERE run_id = ? "
        "ORDER BY ingested_at, file_name",
        [run_id],
    )
    return IntakeSummary(
        files=ledger.to_dicts(),
        staging_rows={kind: count_rows(con, f"staging.{kind}") for kind in KINDS},
        quarantined_rows=count_rows(con, REJECTED, "run_id = ?", [run_id]),
    )


def plan_summary(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, dict[str, Any]]:
    """The run's ``plan.runs`` rows by method (empty when it made no plan)."""
    if not table_exists(con, RUNS):
        return {}
    rows = read_table(
        con,
        "SELECT method, solver, status, objective, best_bound, gap, plan_cost, seconds, "
        "objective_terms, kind, published_at, units_open_before, units_instructed, "
        "units_from_supply, units_awaiting_supply, units_cancelled, units_open_after, feedback "
        f"FROM {RUNS} WHERE run_id = ?",
        [run_id],
    )
    return {row["method"]: row for row in rows.iter_rows(named=True)}


def planned_lines(con: duckdb.DuckDBPyConnection, run_id: str) -> int:
    """Order lines the run's optimizer plan decided (allocated or backordered units)."""
    if not table_exists(con, "plan.allocations"):
        return 0
    return int(
        con.execute(
            "SELECT count(*) FROM (SELECT order_id, line_no FROM plan.allocations WHERE run_id = ? "
            "AND method = 'optimizer' UNION SELECT order_id, line_no FROM plan.backorders "
            "WHERE run_id = ? AND method = 'optimizer')",
            [run_id, run_id],
        ).fetchall()[0][0]
    )
