"""What a wave's outbox folder holds, read back from the warehouse (to write it, or to write
it again after a crash), and the rendered report stored beside the KPIs."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from contracts.faults import crash_point
from contracts.results import BACKORDER_SCHEMA, INSTRUCTION_SCHEMA, INTAKE_SUMMARY_SCHEMA
from contracts.vocabulary import PlanMethod, RunKind
from fulfillment.intake import ACK_SCHEMA
from fulfillment.outbox import OutboxManifest, WaveFolder, publish_folder
from reporting.kpis import Kpis, compute_kpis
from reporting.measures import planned_lines
from reporting.position import position_tables
from reporting.report import TOP_NODES, render_html, render_markdown
from warehouse.book import INSTRUCTIONS, INTAKE, INTAKE_FILES, prepare_book
from warehouse.connection import read_table, transaction
from warehouse.plans import load_inputs, load_plan
from warehouse.position import stored_position
from warehouse.runs import write_run_frame

REPORTS = "marts.reports"
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


def run_report(con: duckdb.DuckDBPyConnection, run_id: str) -> tuple[str, str, Kpis]:
    """(markdown, html, KPIs) of a stored plan, over the lines it planned."""
    plan = load_plan(con, run_id, PlanMethod.OPTIMIZER)
    baseline = load_plan(con, run_id, PlanMethod.BASELINE)
    inputs = load_inputs(con)
    orders = planned_lines(inputs.orders, plan)
    kpis = compute_kpis(orders, inputs.nodes, inputs.products, plan, baseline)
    extra = position_tables(*stored_position(con, run_id), top=TOP_NODES)
    return (
        render_markdown(kpis, run_id, extra=extra),
        render_html(kpis, run_id, extra=extra),
        kpis,
    )


def store_report(
    con: duckdb.DuckDBPyConnection, run_id: str, kpis: pl.DataFrame, markdown: str, html: str
) -> None:
    """The run's KPI rows and rendered report, replacing an earlier attempt's."""
    crash_point("report.before_store")
    with transaction(con):
        write_run_frame(con, "marts.kpis", run_id, kpis)
        report = pl.DataFrame({"markdown": [markdown], "html": [html]})
        write_run_frame(con, REPORTS, run_id, report)
        con.execute(SCENARIO_COMPARISON)


def stored_report(con: duckdb.DuckDBPyConnection, run_id: str) -> tuple[str, str] | None:
    rows = con.execute(
        f"SELECT markdown, html FROM {REPORTS} WHERE run_id = ?", [run_id]
    ).fetchall() if _has(con, REPORTS) else []  # fmt: skip
    return (rows[0][0], rows[0][1]) if rows else None


def _has(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    schema, name = table.split(".")
    return bool(
        con.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
            [schema, name],
        ).fetchall()
    )


def folder_content(
    con: duckdb.DuckDBPyConnection, run_id: str, report: tuple[str, str]
) -> WaveFolder:
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
        report_md=report[0],
        report_html=report[1],
    )


def write_wave_folder(con: duckdb.DuckDBPyConnection, outbox: Path, run_id: str) -> OutboxManifest:
    """A published wave's folder from the warehouse (its report recomputed if it is missing)."""
    report = stored_report(con, run_id)
    if report is None:
        markdown, html, kpis = run_report(con, run_id)
        store_report(con, run_id, kpis.to_long(), markdown, html)
        report = (markdown, html)
    return publish_folder(outbox, folder_content(con, run_id, report))
