"""Marts for analysts: margin per filled line and the benefit of each fulfillment capability."""

import dagster as dg
import polars as pl

from assets.config import BenefitConfig
from assets.metadata import money, table
from assets.resources import WarehouseResource
from contracts.tables import STAGING_SCHEMAS
from contracts.vocabulary import PlanMethod
from reporting.benefits import benefit_scenarios, return_figure_table
from reporting.margins import line_margins
from reporting.measures import planned_lines
from reporting.returns import FIGURES
from warehouse.book import wave_inputs_of
from warehouse.plans import load_inputs, load_plan, load_settings, plan_run_id
from warehouse.runs import write_run_frame
from warehouse.staging import load_staging


@dg.asset(
    group_name="marts",
    kinds={"duckdb"},
    deps=["wave_outbox"],
    description="marts.line_margins: revenue, cost of goods, fulfillment cost and gross margin "
    "per filled order line and node, per run (optimizer plan).",
)
def margin_mart(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    with warehouse.connect() as con:
        run_id = plan_run_id(con, context.run.run_id)
        plan, inputs = load_plan(con, run_id, PlanMethod.OPTIMIZER), load_inputs(con)
        margins = line_margins(inputs.orders, inputs.products, plan.allocations)
        write_run_frame(con, "marts.line_margins", run_id, margins)
    by_channel = (
        margins.group_by("channel")
        .agg(pl.col("revenue", "gross_margin").sum().round(2))
        .sort("channel")
    )
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": margins.height,
            "gross_margin": money(float(margins["gross_margin"].sum())),
            "by_channel": table(by_channel),
        }
    )


@dg.asset(
    group_name="marts",
    kinds={"pulp", "duckdb"},
    deps=["wave_outbox", "staging_returns"],
    description="marts.benefit_estimates: incremental gross margin of ship-from-store, BOPIS and "
    "BORIS, from counterfactual re-runs of the wave's own problem (its open lines, net ATP and "
    "capacity, settings) with each capability off vs on (units awaiting supply count as sold "
    "later, not lost), plus the documented assumptions used. BORIS uses the business's own "
    "return rate, in-store share and resale rate from staging.returns where there are enough "
    "returns, else the assumptions; each figure says which.",
)
def benefit_estimates(
    context: dg.AssetExecutionContext, config: BenefitConfig, warehouse: WarehouseResource
):
    with warehouse.connect() as con:
        run_id = plan_run_id(con, context.run.run_id)
        staged = load_inputs(con)
        plan = load_plan(con, run_id, PlanMethod.OPTIMIZER)
        inputs = wave_inputs_of(con, run_id, staged, planned_lines(staged.orders, plan))
        settings = load_settings(con, run_id)
        returns = load_staging(con, "returns").select(list(STAGING_SCHEMAS["returns"]))
    assumptions = config.assumptions()
    benefits = benefit_scenarios(
        inputs, settings, assumptions, returns=returns, order_history=staged.orders
    )
    with warehouse.connect() as con:
        write_run_frame(con, "marts.benefit_estimates", run_id, benefits)
    figures = return_figure_table(benefits, assumptions).with_columns(pl.selectors.float().round(4))
    figure_columns = [c for f in FIGURES for c in (f, f"{f}_source")]
    shown = benefits.select(pl.exclude("assumptions", "returned_units", *figure_columns))
    headline = {
        f"{row['capability']}_incremental_gross_margin": money(row["incremental_gross_margin"])
        for row in benefits.iter_rows(named=True)
    }
    return dg.MaterializeResult(
        metadata={
            **headline,
            "dagster/row_count": benefits.height,
            "estimates": table(shown),
            "return_figures": table(figures, digits=4),
            "return_figures_from_data": dg.MetadataValue.json(
                dict(zip(figures["figure"], figures["source"] == "data", strict=True))
            ),
            "assumptions": dg.MetadataValue.json(assumptions.assumption_values()),
        }
    )
