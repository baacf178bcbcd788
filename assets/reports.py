"""Report: the run's KPIs as Markdown and HTML in the outbox, and as ``marts.kpis`` rows."""

from pathlib import Path

import dagster as dg

from assets.resources import OutboxResource, WarehouseResource
from contracts.vocabulary import PlanMethod
from fulfillment.outbox import write_reports
from reporting.kpis import compute_kpis
from reporting.report import render_html, render_markdown
from warehouse.plans import load_inputs, load_plan, plan_run_id
from warehouse.runs import write_run_frame


@dg.asset(
    group_name="report",
    kinds={"html", "markdown", "duckdb"},
    deps=["allocation_plan", "fulfillment_instructions", "backorders"],
    description=(
        "KPI report of the run (fill rate, cost, delivery days, on-time, utilization, mix, "
        "margin, savings against the rule-based baseline, gap): outbox/<run_id>/kpi_report.md "
        "and .html, and one row per KPI in marts.kpis."
    ),
)
def kpi_report(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, outbox: OutboxResource
) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        run_id = plan_run_id(con, context.run.run_id)
        plan, baseline = (
            load_plan(con, run_id, PlanMethod.OPTIMIZER),
            load_plan(con, run_id, PlanMethod.BASELINE),
        )
        inputs = load_inputs(con)
    kpis = compute_kpis(inputs.orders, inputs.nodes, inputs.products, plan, baseline)
    markdown = render_markdown(kpis, run_id)
    manifest = write_reports(Path(outbox.path), run_id, markdown, render_html(kpis, run_id))
    with warehouse.connect() as con:
        write_run_frame(con, "marts.kpis", run_id, kpis.to_long())
    headline = {
        name: getattr(kpis, name)
        for name in (
            "fill_rate_units",
            "plan_cost",
            "cost_per_order",
            "delivery_days_mean",
            "on_time_rate",
            "objective_savings_pct",
            "plan_cost_savings_pct",
            "optimality_gap",
            "gross_margin",
        )
    }
    return dg.MaterializeResult(
        metadata={
            **{k: v for k, v in headline.items() if v is not None},
            "report_html": dg.MetadataValue.path(str(manifest.files[1].path)),
            "report": dg.MetadataValue.md(markdown),
        }
    )
