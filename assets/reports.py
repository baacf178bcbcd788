"""Report: the run's KPIs as Markdown and HTML, stored with ``marts.kpis`` for the outbox."""

import dagster as dg

from assets.resources import WarehouseResource
from warehouse.outbox import run_report, store_report
from warehouse.plans import plan_run_id


@dg.asset(
    group_name="report",
    kinds={"html", "markdown", "duckdb"},
    deps=["allocation_plan", "inventory_position"],
    description=(
        "KPI report of the wave over the lines it planned (fill rate, cost, delivery days, "
        "on-time, utilization, mix, margin, savings against the rule-based baseline, gap): "
        "marts.kpis one row per KPI, marts.reports the Markdown and HTML the outbox carries."
    ),
)
def kpi_report(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        run_id = plan_run_id(con, context.run.run_id)
        markdown, html, kpis = run_report(con, run_id)
        store_report(con, run_id, kpis.to_long(), markdown, html)
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
            "report": dg.MetadataValue.md(markdown),
        }
    )
