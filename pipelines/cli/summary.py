"""What ``omniroute run`` reports: the summary of a wave, as text or as one JSON object."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contracts.vocabulary import FileStatus, PlanMethod
from warehouse.connection import open_warehouse
from warehouse.summary import intake_summary, plan_summary, planned_lines


@dataclass
class RunSummary:
    """What ``run`` reports (``--json`` prints these fields as one object). A run that failed
    keeps what is known: ``run_id`` (None if Dagster never started it), ``error`` (one line),
    the figures that could be read."""

    run_id: str | None
    status: str
    seconds: float
    inbox: str
    warehouse: str
    outbox: str | None = None
    objective: float | None = None
    best_bound: float | None = None
    gap: float | None = None
    plan_cost: float | None = None
    baseline_objective: float | None = None
    baseline_cost: float | None = None
    allocation_seconds: float | None = None
    solver: str | None = None
    solver_status: str | None = None
    lines: int | None = None
    units_allocated: int | None = None
    units_backordered: int | None = None
    kind: str | None = None  # wave | scenario
    units_open_before: int | None = None
    units_instructed: int | None = None
    units_from_supply: int | None = None  # instructed from supply on its way
    units_awaiting_supply: int | None = None  # backordered until supply past the horizon
    units_cancelled: int | None = None
    units_open_after: int | None = None
    feedback: dict[str, int] = field(default_factory=dict)  # units shipped, rejected, cancelled
    files: list[dict[str, Any]] = field(default_factory=list)
    staging_rows: dict[str, int] = field(default_factory=dict)
    quarantined_rows: int = 0
    message: str = ""
    error: str | None = None  # why the status is not success, in one line
    errors: list[str] = field(default_factory=list)  # every failed step: "step: Class: message"


def add_warehouse_figures(
    summary: RunSummary, warehouse: Path, outbox: Path, lock_wait_s: float | None = None
) -> None:
    """The run's intake and plan figures, read back from the warehouse (``lock_wait_s``: how
    long to wait for other processes to close the file, see ``open_warehouse``)."""
    if summary.run_id is None or not warehouse.exists():
        return
    with open_warehouse(warehouse, lock_wait_s=lock_wait_s) as con:
        intake = intake_summary(con, summary.run_id)
        plans = plan_summary(con, summary.run_id)
        lines = planned_lines(con, summary.run_id)
    summary.files = intake.files
    summary.staging_rows = intake.staging_rows
    summary.quarantined_rows = intake.quarantined_rows
    if PlanMethod.OPTIMIZER not in plans:
        return
    plan, baseline = plans[PlanMethod.OPTIMIZER], plans.get(PlanMethod.BASELINE, {})
    terms = json.loads(plan["objective_terms"])
    summary.objective, summary.best_bound, summary.gap = (
        plan["objective"],
        plan["best_bound"],
        plan["gap"],
    )
    summary.plan_cost, summary.allocation_seconds = plan["plan_cost"], plan["seconds"]
    summary.solver, summary.solver_status = plan["solver"], plan["status"]
    summary.baseline_objective = baseline.get("objective")
    summary.baseline_cost = baseline.get("plan_cost")
    summary.lines = lines
    summary.units_allocated = int(terms.get("units_allocated", 0))
    summary.units_backordered = int(terms.get("units_backordered", 0))
    summary.kind = plan["kind"]
    for name in (
        "units_open_before", "units_instructed", "units_from_supply", "units_awaiting_supply",
        "units_cancelled", "units_open_after",
    ):  # fmt: skip
        setattr(summary, name, plan[name])
    summary.feedback = json.loads(plan["feedback"]) if plan["feedback"] else {}
    if plan["published_at"] is not None:
        summary.outbox = str(outbox / summary.run_id)


def print_summary(summary: RunSummary, as_json: bool, figures: bool = True) -> None:
    """One JSON object on stdout, or the summary as text (``figures``: whether the warehouse
    figures were read; without them only the run's line) and, unless the run succeeded, one
    ``omniroute run: <error>`` line on stderr."""
    if as_json:
        print(json.dumps(summary.__dict__, indent=2, default=str))
        return
    if summary.run_id is not None:
        print(f"run {summary.run_id}: {summary.status} in {summary.seconds:.1f} s")
    if figures:
        _print_figures(summary)
    if summary.status != "success":
        print(f"omniroute run: {summary.error or summary.status}", file=sys.stderr)


def _print_figures(summary: RunSummary) -> None:
    print(f"inbox {summary.inbox} -> warehouse {summary.warehouse}")
    if summary.files:
        print(f"{len(summary.files)} new file(s):")
        for f in summary.files:
            counts = (
                f"{f['rows_read']} read, {f['rows_accepted']} accepted, {f['rows_rejected']} "
                f"rejected, {f['rows_duplicate']} duplicate(s)"
                if f["status"] == FileStatus.OK
                else f["message"] or ""
            )
            print(f"  {f['file_name']:<34} {f['kind'] or '?':<10} {f['status']:<12} {counts}")
    else:
        print("no new files in the inbox (files already ingested are skipped)")
    staged = ", ".join(f"{k} {n}" for k, n in summary.staging_rows.items())
    print(f"staging rows: {staged}")
    print(f"rows quarantined this run: {summary.quarantined_rows}")
    if summary.objective is not None:
        _print_plan(summary)
    if summary.message and summary.message != summary.error:
        print(summary.message)


def _print_plan(s: RunSummary) -> None:
    assert s.objective is not None  # called only for runs with a plan
    gap = "n/a" if s.gap is None else f"{100 * s.gap:.3f} %"
    print(
        f"allocation: {s.lines} lines, {s.units_allocated} units allocated, "
        f"{s.units_backordered} backordered ({s.solver}, {s.solver_status}, "
        f"{s.allocation_seconds:.1f} s)"
    )
    print(
        f"objective {s.objective:,.2f} (bound {s.best_bound or 0:,.2f}, gap {gap}); "
        f"plan cost {s.plan_cost:,.2f}"
    )
    if s.baseline_objective and s.baseline_cost is not None:
        saved = s.baseline_objective - s.objective
        print(
            f"rule-based baseline: objective {s.baseline_objective:,.2f}, plan cost "
            f"{s.baseline_cost:,.2f}; optimization saves {saved:,.2f} "
            f"({100 * saved / s.baseline_objective:.1f} %)"
        )
    fb = s.feedback
    print(
        f"{s.kind}: {s.units_open_before} open units planned, {s.units_instructed} instructed "
        f"({s.units_from_supply or 0} from supply on its way), {s.units_cancelled} cancelled, "
        f"{s.units_open_after} still open ({s.units_awaiting_supply or 0} awaiting supply); "
        "feedback applied: "
        f"{fb.get('shipped', 0)} shipped, {fb.get('rejected', 0)} rejected, "
        f"{fb.get('cancelled', 0)} cancelled"
    )
    if s.outbox:
        print(f"outbox: {s.outbox} (instructions per node, backorders.csv, intake/, report)")
    else:
        print("dry run: stored as a scenario (marts.scenario_comparison); nothing was published")
