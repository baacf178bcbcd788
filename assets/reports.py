"""Report: the run's KPI report for planners, the last step of a wave.

It runs after the outbox and the marts: partners get their instructions without waiting for
the benefit re-solves, and the report can show the benefit estimates and the position. A mart
that fails skips this step in that run (Dagster runs no step whose upstream failed); the next
run then writes the missing page of each of the last ``REPAIR_RUNS`` runs from the warehouse,
as the outbox does for a missing wave folder.
"""

from pathlib import Path
from typing import Any

import dagster as dg
import polars as pl

from assets.metadata import money, percent, rounded, table
from assets.resources import OutboxResource, WarehouseResource
from fulfillment.outbox import (
    ReportFiles,
    clear_report_temps,
    has_report,
    point_latest_report,
    publish_report,
)
from reporting.charts import inline_plotly
from reporting.kpis import Kpis
from reporting.page import NODE_COLUMNS, node_table, report_title
from warehouse.outbox import RenderedReport, recent_runs, run_report, store_report, stored_report
from warehouse.plans import plan_run_id

REPAIR_RUNS = 5  # earlier runs whose missing page a run writes again
TOP_NODES = 20  # rows of the per-node table in the metadata

NODE_DESCRIPTIONS = {
    "node_id": "node",
    "node_type": "dc or store",
    "units": "units instructed this run",
    "orders": "orders it serves this run",
    "cost": "parcel and handling cost (report currency)",
    "unit_utilization_pct": "ship units vs capacity, %",
    "order_utilization_pct": "ship orders vs capacity, %",
    "on_hand": "units on hand (newest snapshot)",
    "available_to_promise": "free to promise after it",
    "open_demand": "open units it could still serve",
}


@dg.asset(
    group_name="report",
    kinds={"html", "markdown", "duckdb"},
    deps=["wave_outbox", "benefit_estimates", "margin_mart", "inventory_position"],
    description=(
        "The KPI report for planners, last: outbox/reports/<date>_wave<N>_<run>.html (one "
        "offline Plotly page: settings, currency, data quality, benefit estimates, trend over "
        "the last waves, node map, per-node table, why) and .md; reports/LATEST names the "
        "newest. marts.kpis one row per KPI, marts.reports the rendered report. A dry run gets "
        "its what-if page too."
    ),
)
def kpi_report(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, outbox: OutboxResource
) -> dg.MaterializeResult:
    folder = Path(outbox.path)
    clear_report_temps(folder)
    with warehouse.connect() as con:
        run_id = plan_run_id(con, context.run.run_id)
        repaired = [r for r in recent_runs(con, run_id, REPAIR_RUNS) if _repair(con, folder, r)]
        report = run_report(con, run_id)
        store_report(con, run_id, report)
    files = publish_report(folder, report.stem, report.markdown, inline_plotly(report.html))
    point_latest_report(folder, report.stem)
    if repaired:
        context.log.warning(f"wrote again the missing report pages of runs {repaired}")
    return dg.MaterializeResult(metadata=_metadata(report, files, repaired))


def _repair(con: Any, folder: Path, run_id: str) -> bool:
    """Write an earlier run's page if it is missing: as stored, else rendered and stored."""
    stored = stored_report(con, run_id)
    if stored is not None and has_report(folder, stored[2]):
        return False
    if stored is None:
        report = run_report(con, run_id)
        if has_report(folder, report.stem):
            return False
        store_report(con, run_id, report)
        stored = (report.markdown, report.html, report.stem)
    publish_report(folder, stored[2], stored[0], inline_plotly(stored[1]))
    return True


def _headline(kpis: Kpis) -> dict[str, Any]:
    values = {
        "fill_rate_units_pct": percent(kpis.fill_rate_units, 1),
        "on_time_rate_pct": percent(kpis.on_time_rate, 1),
        "split_rate_pct": percent(kpis.split_rate, 1),
        "plan_cost": money(kpis.plan_cost),
        "cost_per_order": money(kpis.cost_per_order),
        "plan_cost_savings_pct": rounded(kpis.plan_cost_savings_pct, 1),
        "objective_savings_pct": rounded(kpis.objective_savings_pct, 1),
        "gross_margin": money(kpis.gross_margin),
        "delivery_days_mean": rounded(kpis.delivery_days_mean, 2),
        "optimality_gap_pct": percent(kpis.optimality_gap, 3),
    }
    return {k: v for k, v in values.items() if v is not None}


def _benefit_figures(report: RenderedReport) -> dict[str, float]:
    """Incremental gross margin per capability, rounded (none when the mart did not run)."""
    benefits = report.context.benefits
    if benefits is None or benefits.is_empty():
        return {}
    return {
        f"benefit_{r['capability']}": money(float(r["incremental_gross_margin"] or 0.0)) or 0.0
        for r in benefits.iter_rows(named=True)
    }


def _node_table(report: RenderedReport) -> dg.TableMetadataValue:
    nodes = node_table(report.kpis.node_utilization, report.context).select(NODE_COLUMNS)
    shown = nodes.select(
        "node_id",
        "node_type",
        "units",
        "orders",
        pl.col("cost").round(2),
        (100 * pl.col("unit_utilization")).round(1).alias("unit_utilization_pct"),
        (100 * pl.col("order_utilization")).round(1).alias("order_utilization_pct"),
        "on_hand",
        "available_to_promise",
        "open_demand",
    )
    return table(shown, limit=TOP_NODES, descriptions=NODE_DESCRIPTIONS)


def _metadata(report: RenderedReport, files: ReportFiles, repaired: list[str]) -> dict[str, Any]:
    """Benefit figures first, then the page's link and title, the headline, the nodes."""
    return {
        **_benefit_figures(report),
        "currency": report.context.currency,
        "title": report_title(report.context),
        "report_page": dg.MetadataValue.path(str(files.html)),
        "report_url": dg.MetadataValue.url(files.html.resolve().as_uri()),
        "report_markdown_file": dg.MetadataValue.path(str(files.markdown)),
        **_headline(report.kpis),
        "nodes": _node_table(report),
        "repaired_reports": ", ".join(repaired) or "none",
        "report": dg.MetadataValue.md(report.markdown),
    }
