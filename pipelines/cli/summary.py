"""What ``omniroute run`` reports: the summary of a wave, as text or as one JSON object."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from contracts.vocabulary import FileStatus, PlanMethod
from fulfillment.outbox import REPORTS
from warehouse.connection import open_warehouse
from warehouse.figures import run_kpis
from warehouse.summary import intake_summary, plan_summary, planned_lines

# The KPIs (marts.kpis) the summary shows beside the plan's own figures.
SUMMARY_KPIS = (
    "orders",
    "orders_served",
    "units_ordered",
    "fill_rate_units",
    "fill_rate_lines",
    "fill_rate_orders",
    "on_time_rate",
    "backordered_units.uneconomic",
)


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
    preset: str | None = None
    outbox: str | None = None
    report: str | None = None  # the KPI report page (outbox/reports/), once written
    objective: float | None = None
    best_bound: float | None = None
    gap: float | None = None
    plan_cost: float | None = None
    requested_gap: float | None = None
    gap_missed: bool | None = None  # the solve stopped above the requested gap
    baseline_objective: float | None = None
    baseline_cost: float | None = None
    savings: float | None = None  # baseline objective - objective
    savings_pct: float | None = None
    fill_rate_units: float | None = None  # shares in [0, 1] of the lines this wave planned
    fill_rate_lines: float | None = None
    fill_rate_orders: float | None = None
    on_time_rate: float | None = None
    baseline_units_allocated: int | None = None
    units_uneconomic: int | None = None  # backordered: filling costs more than the penalty
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
        kpis = run_kpis(con, summary.run_id)
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
    _add_judgement(summary, kpis, baseline)
    pages = sorted((outbox / REPORTS).glob(f"*_{summary.run_id[:8]}.html"))
    summary.report = str(pages[-1]) if pages else None


def _add_judgement(summary: RunSummary, kpis: dict[str, float], baseline: dict[str, Any]) -> None:
    """Fill and on-time rates, savings, and whether the requested gap was reached."""
    for name in ("fill_rate_units", "fill_rate_lines", "fill_rate_orders", "on_time_rate"):
        setattr(summary, name, kpis.get(name))
    summary.units_uneconomic = int(kpis.get("backordered_units.uneconomic", 0))
    if summary.baseline_objective and summary.objective is not None:
        summary.savings = summary.baseline_objective - summary.objective
        summary.savings_pct = 100 * summary.savings / summary.baseline_objective
    if baseline.get("objective_terms"):
        terms = json.loads(baseline["objective_terms"])
        summary.baseline_units_allocated = int(terms.get("units_allocated", 0))
    if summary.requested_gap is not None:
        summary.gap_missed = summary.gap is None or summary.gap > summary.requested_gap + 1e-9


def print_summary(summary: RunSummary, as_json: bool, figures: bool = True) -> None:
    """One JSON object on stdout, or the summary as text (``figures``: whether the warehouse
    figures were read; without them only the run's line) and, unless the run succeeded, one
    ``omniroute run: <error>`` line on stderr."""
    if as_json:
        print(json.dumps(summary.__dict__, indent=2, default=str))
        return
    out = Console(file=sys.stdout, highlight=False, soft_wrap=True)
    if not out.is_terminal:  # a file or a pipe: full names, no 80-column cut
        out.width = 160
    if summary.run_id is not None:
        style = "bold green" if summary.status == "success" else "bold red"
        preset = f" (preset {summary.preset})" if summary.preset else ""
        out.print(
            f"run {summary.run_id}: {summary.status} in {summary.seconds:.1f} s{preset}",
            style=style,
            markup=False,
        )
    if figures:
        _print_figures(out, summary)
    if summary.status != "success":
        print(f"omniroute run: {summary.error or summary.status}", file=sys.stderr)


def _print_figures(out: Console, summary: RunSummary) -> None:
    out.print(f"inbox {summary.inbox} -> warehouse {summary.warehouse}", markup=False)
    if summary.files:
        files = Table(title=f"{len(summary.files)} new file(s)", title_justify="left")
        for column in ("file", "kind", "status", "read", "accepted", "rejected", "duplicate"):
            files.add_column(column, justify="left" if column in "file kind status" else "right")
        for f in summary.files:
            ok = f["status"] == FileStatus.OK
            counts = (
                [str(f[k]) for k in ("rows_read", "rows_accepted", "rows_rejected")]
                + [str(f["rows_duplicate"])]
                if ok
                else [f["message"] or "", "", "", ""]
            )
            files.add_row(f["file_name"], f["kind"] or "?", f["status"], *counts)
        out.print(files)
    else:
        out.print("no new files in the inbox (files already ingested are skipped)")
    staged = ", ".join(f"{k} {n}" for k, n in summary.staging_rows.items())
    out.print(f"staging rows: {staged}", markup=False)
    out.print(f"rows quarantined this run: {summary.quarantined_rows}")
    if summary.objective is not None:
        _print_plan(out, summary)
    if summary.message and summary.message != summary.error:
        out.print(summary.message, markup=False)


def _pct(share: float | None, digits: int = 1) -> str:
    return "n/a" if share is None else f"{100 * share:.{digits}f} %"


def _print_plan(out: Console, s: RunSummary) -> None:
    assert s.objective is not None  # called only for runs with a plan
    out.print(
        f"allocation: {s.lines} lines, {s.units_allocated} units allocated, "
        f"{s.units_backordered} backordered ({s.solver}, {s.solver_status}, "
        f"{s.allocation_seconds:.1f} s)",
        markup=False,
    )
    out.print(
        f"filled: {_pct(s.fill_rate_units)} of units, {_pct(s.fill_rate_lines)} of lines, "
        f"{_pct(s.fill_rate_orders)} of orders; on time: {_pct(s.on_time_rate)}",
        markup=False,
    )
    requested = "" if s.requested_gap is None else f", requested {_pct(s.requested_gap, 3)}"
    out.print(
        f"objective {s.objective:,.2f} (bound {s.best_bound or 0:,.2f}, gap "
        f"{_pct(s.gap, 3)}{requested}); plan cost {s.plan_cost:,.2f}",
        markup=False,
    )
    if s.gap_missed:
        out.print(
            f"WARNING: the requested gap was not reached: the plan is proven within "
            f"{_pct(s.gap, 3)} of the optimum, not {_pct(s.requested_gap, 3)}. The solve "
            "stopped at its work or time limit; the plan is feasible and checked. Raise "
            "time_limit_s (or use --preset month_end) to get closer.",
            style="bold yellow",
            markup=False,
        )
    if s.baseline_objective and s.baseline_cost is not None and s.savings is not None:
        out.print(
            f"rule-based baseline: objective {s.baseline_objective:,.2f}, plan cost "
            f"{s.baseline_cost:,.2f}; optimization saves {s.savings:,.2f} "
            f"({s.savings_pct:.1f} %)",
            markup=False,
        )
    if (
        s.baseline_units_allocated is not None
        and s.units_allocated is not None
        and s.baseline_units_allocated > s.units_allocated
    ):
        out.print(
            f"the baseline fills {s.baseline_units_allocated - s.units_allocated} more units "
            f"at a higher total cost: {s.units_uneconomic} units are backordered as "
            "uneconomic (filling them would cost more than their backorder penalty; "
            "backorders.csv says what each would cost)",
            markup=False,
        )
    fb = s.feedback
    out.print(
        f"{s.kind}: {s.units_open_before} open units planned, {s.units_instructed} instructed "
        f"({s.units_from_supply or 0} from supply on its way), {s.units_cancelled} cancelled, "
        f"{s.units_open_after} still open ({s.units_awaiting_supply or 0} awaiting supply); "
        "feedback applied: "
        f"{fb.get('shipped', 0)} shipped, {fb.get('rejected', 0)} rejected, "
        f"{fb.get('cancelled', 0)} cancelled",
        markup=False,
    )
    if s.outbox:
        out.print(
            f"outbox: {s.outbox} (instructions per node, backorders.csv, intake/)", markup=False
        )
    else:
        out.print(
            "dry run: stored as a scenario (marts.scenario_comparison); nothing was published"
        )
    if s.report:
        out.print(f"report: {s.report} (one page, opens offline in a browser)", markup=False)
