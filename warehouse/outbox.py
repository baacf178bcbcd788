"""What a wave's outbox folder holds, read back from the warehouse (to write it, or to write
it again after a crash), and the KPI report of a run: rendered from what the warehouse holds
about it, stored beside its KPIs (marts.kpis, marts.reports)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import polars as pl

from contracts.faults import crash_point
from contracts.results import BACKORDER_SCHEMA, INSTRUCTION_SCHEMA, INTAKE_SUMMARY_SCHEMA
from contracts.vocabulary import PlanMethod, RunKind
from fulfillment.intake import ACK_SCHEMA
from fulfillment.outbox import OutboxManifest, WaveFolder, publish_folder
from reporting.kpis import Kpis, compute_kpis
from reporting.measures import planned_lines
from reporting.page import (
    DEFAULT_CURRENCY,
    TREND,
    TREND_WAVES,
    ReportContext,
    quarantine_frame,
    report_stem,
    wave_numbers,
)
from reporting.report import render_html, render_markdown
from warehouse.book import INSTRUCTIONS, INTAKE, INTAKE_FILES, prepare_book
from warehouse.connection import read_table, table_exists, transaction
from warehouse.plans import RUNS, load_inputs, load_plan
from warehouse.position import stored_position
from warehouse.runs import run_rows, write_run_frame
from warehouse.schema import LEDGER, REJECTED

if TYPE_CHECKING:
    from optimizers.types import AllocationResult

REPORTS, KPIS, BENEFITS = "marts.reports", "marts.kpis", "marts.benefit_estimates"
SCENARIO_COMPARISON = f"""
CREATE OR REPLACE VIEW marts.scenario_comparison AS
WITH kpi AS (
    SELECT run_id,
           max(value) FILTER (WHERE kpi = 'fill_rate_units') AS fill_rate_units,
           max(value) FILTER (WHERE kpi = 'on_time_rate') AS on_time_rate,
           max(value) FILTER (WHERE kpi = 'cost_per_order') AS cost_per_order,
           max(value) FILTER (WHERE kpi = 'gross_margin') AS gross_margin
    FROM marts.kpis GROUP BY run_id)
SELECT r.run_id, r.kind, r.created_at, r.wave_at, r.published_at, r.status, r.objective,
       b.objective AS baseline_objective, r.plan_cost, r.gap, r.units_open_before,
       r.units_instructed, r.units_cancelled, r.units_open_after, k.fill_rate_units,
       k.on_time_rate, k.cost_per_order, k.gross_margin, r.settings
FROM plan.runs r
LEFT JOIN plan.runs b ON b.run_id = r.run_id AND b.method = '{PlanMethod.BASELINE.value}'
LEFT JOIN kpi k ON k.run_id = r.run_id
WHERE r.method = '{PlanMethod.OPTIMIZER.value}'
  AND (r.kind = '{RunKind.SCENARIO.value}' OR r.published_at IS NOT NULL)
ORDER BY r.created_at
"""


@dataclass(frozen=True)
class RenderedReport:
    """A run's report: the Markdown, the page (plotly.js left out: ``charts.PLOTLY_MARKER``;
    ``charts.inline_plotly`` makes it whole), its KPIs and what it is about."""

    markdown: str
    html: str
    kpis: Kpis
    context: ReportContext

    @property
    def stem(self) -> str:
        return report_stem(self.context)


def run_report(
    con: duckdb.DuckDBPyConnection, run_id: str, currency: str = DEFAULT_CURRENCY
) -> RenderedReport:
    """The report of a stored plan, over the lines it planned, with what the warehouse holds
    about the run (settings, intake, benefit estimates, earlier waves, position)."""
    plan = load_plan(con, run_id, PlanMethod.OPTIMIZER)
    baseline = load_plan(con, run_id, PlanMethod.BASELINE)
    inputs = load_inputs(con)
    orders = planned_lines(inputs.orders, plan)
    kpis = compute_kpis(orders, inputs.nodes, inputs.products, plan, baseline)
    context = report_context(con, run_id, currency, plan, orders, inputs.nodes)
    return RenderedReport(render_markdown(kpis, context), render_html(kpis, context), kpis, context)


def report_context(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    currency: str,
    plan: AllocationResult,
    orders: pl.DataFrame,
    nodes: pl.DataFrame,
) -> ReportContext:
    """Which wave the run is, its settings, intake, benefits, trend and position."""
    run = read_table(
        con,
        f"SELECT kind, coalesce(wave_at, created_at) AS wave_at, settings FROM {RUNS} "
        "WHERE run_id = ? AND method = ?",
        [run_id, PlanMethod.OPTIMIZER.value],
    ).row(0, named=True)
    settings = json.loads(run["settings"] or "{}")
    waves = wave_numbers(_published_waves(con), str(settings.get("business_timezone", "UTC")))
    mine = waves.filter(pl.col("run_id") == run_id)
    position, days = stored_position(con, run_id)
    intake = _intake(con, run_id)
    return ReportContext(
        run_id=run_id,
        kind=run["kind"] or RunKind.WAVE.value,
        wave_at=run["wave_at"],
        wave_number=int(mine["number"][0]) if mine.height else None,
        settings=settings,
        currency=currency,
        intake=intake.drop("sha256"),
        quarantine=_quarantine(con, intake["sha256"].to_list()),
        benefits=run_rows(con, BENEFITS, run_id) if table_exists(con, BENEFITS) else None,
        trend=_trend(con, waves, run_id, run["wave_at"]),
        nodes=nodes,
        orders=orders,
        plan=plan,
        position=position,
        days=days,
    )


def _published_waves(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return read_table(
        con,
        f"SELECT run_id, coalesce(wave_at, created_at) AS wave_at, published_at FROM {RUNS} "
        "WHERE method = ? AND kind = ? AND published_at IS NOT NULL",
        [PlanMethod.OPTIMIZER.value, RunKind.WAVE.value],
    )


def _intake(con: duckdb.DuckDBPyConnection, run_id: str) -> pl.DataFrame:
    """The files this run read or replied to: the ledger's counts per file."""
    prepare_book(con)
    if not table_exists(con, LEDGER):
        return pl.DataFrame(schema={"sha256": pl.String, "file_name": pl.String})
    return read_table(
        con,
        "SELECT sha256, file_name, kind, status, rows_read, rows_accepted, rows_rejected, "
        f"rows_duplicate, rows_amended FROM {LEDGER} WHERE run_id = ? OR sha256 IN "
        f"(SELECT sha256 FROM {INTAKE_FILES} WHERE run_id = ?) ORDER BY ingested_at, file_name",
        [run_id, run_id],
    )


def _quarantine(con: duckdb.DuckDBPyConnection, shas: list[str]) -> pl.DataFrame:
    """The quarantine reasons of these files, counted per kind, column and rule."""
    if not shas or not table_exists(con, REJECTED):
        return quarantine_frame(pl.DataFrame())
    reasons = read_table(
        con,
        'SELECT kind, r."column" AS "column", r.rule AS rule, r.message AS message FROM '
        f"(SELECT kind, unnest(reasons) AS r FROM {REJECTED} WHERE list_contains(?, file_sha256))",
        [shas],
    )
    return quarantine_frame(reasons)


def _trend(
    con: duckdb.DuckDBPyConnection, waves: pl.DataFrame, run_id: str, wave_at: datetime | None
) -> pl.DataFrame | None:
    """The KPIs of the published waves before this run (by wave time), labelled by day and
    number; None before marts.kpis exists."""
    if not table_exists(con, KPIS):
        return None
    earlier = waves.filter(pl.col("run_id") != run_id)
    if wave_at is not None:
        earlier = earlier.filter(pl.col("wave_at") <= wave_at)
    earlier = earlier.sort("wave_at", "published_at").tail(TREND_WAVES)
    names = [k for k, *_ in TREND]
    values = read_table(
        con,
        f"SELECT run_id, kpi, value FROM {KPIS} WHERE list_contains(?, run_id) "
        "AND list_contains(?, kpi)",
        [earlier["run_id"].to_list(), names],
    )
    if values.is_empty():
        return None
    wide = values.pivot(on="kpi", index="run_id", values="value")
    wide = wide.with_columns(pl.lit(None, pl.Float64).alias(k) for k in names if k not in wide)
    return (
        earlier.join(wide, on="run_id", how="inner")
        .sort("wave_at", "published_at")
        .with_columns(label=pl.format("{} W{}", pl.col("day").dt.strftime("%m-%d"), "number"))
        .select("label", *names)
    )


def store_report(con: duckdb.DuckDBPyConnection, run_id: str, report: RenderedReport) -> None:
    """The run's KPI rows and rendered report, replacing an earlier attempt's."""
    crash_point("report.before_store")
    with transaction(con):
        write_run_frame(con, KPIS, run_id, report.kpis.to_long())
        stored = pl.DataFrame(
            {
                "markdown": [report.markdown],
                "html": [report.html],
                "page": [report.stem],
                "currency": [report.context.currency],
            }
        )
        write_run_frame(con, REPORTS, run_id, stored)
        con.execute(SCENARIO_COMPARISON)


def stored_report(con: duckdb.DuckDBPyConnection, run_id: str) -> tuple[str, str, str] | None:
    """(markdown, page without plotly.js, page file stem) as stored; None if never stored
    (or stored before reports had pages)."""
    if not table_exists(con, REPORTS):
        return None
    columns = {row[0] for row in con.execute(f"DESCRIBE {REPORTS}").fetchall()}
    if "page" not in columns:
        return None
    rows = con.execute(
        f"SELECT markdown, html, page FROM {REPORTS} WHERE run_id = ? AND page IS NOT NULL",
        [run_id],
    ).fetchall()
    return (rows[0][0], rows[0][1], rows[0][2]) if rows else None


def recent_runs(con: duckdb.DuckDBPyConnection, other_than: str, limit: int) -> list[str]:
    """The ``limit`` newest runs with a stored plan (published waves and scenarios) besides
    ``other_than``, oldest first: a later run writes their page if it is missing."""
    if not table_exists(con, RUNS):
        return []
    rows = con.execute(
        f"SELECT run_id FROM {RUNS} WHERE method = ? AND run_id <> ? AND "
        "(kind = ? OR published_at IS NOT NULL) ORDER BY created_at DESC LIMIT ?",
        [PlanMethod.OPTIMIZER.value, other_than, RunKind.SCENARIO.value, limit],
    ).fetchall()
    return [row[0] for row in reversed(rows)]


def folder_content(con: duckdb.DuckDBPyConnection, run_id: str) -> WaveFolder:
    """The published wave's folder: its instructions, still-open backorders, intake replies."""
    prepare_book(con)
    instructions = read_table(
        con, f"SELECT * FROM {INSTRUCTIONS} WHERE run_id = ?", [run_id]
    ).select(list(INSTRUCTION_SCHEMA))
    backorders = read_table(
        con,
        "SELECT * EXCLUDE (run_id, method) FROM plan.backorders WHERE run_id = ? AND method = ?",
        [run_id, PlanMethod.OPTIMIZER.value],
    )
    acks = read_table(con, f"SELECT * EXCLUDE (run_id) FROM {INTAKE} WHERE run_id = ?", [run_id])
    files = read_table(
        con, f"SELECT * EXCLUDE (run_id) FROM {INTAKE_FILES} WHERE run_id = ?", [run_id]
    )
    return WaveFolder(
        run_id=run_id,
        instructions=instructions.cast(INSTRUCTION_SCHEMA),
        backorders=backorders.select(list(BACKORDER_SCHEMA)).cast(BACKORDER_SCHEMA),
        acknowledgements=acks.select(list(ACK_SCHEMA)).cast(ACK_SCHEMA),
        intake_summary=files.select("sha256", *INTAKE_SUMMARY_SCHEMA).cast(
            pl.Schema({"sha256": pl.String(), **INTAKE_SUMMARY_SCHEMA})
        ),
    )


def write_wave_folder(con: duckdb.DuckDBPyConnection, outbox: Path, run_id: str) -> OutboxManifest:
    """A published wave's folder from the warehouse: what partners need, no report."""
    return publish_folder(outbox, folder_content(con, run_id))
