"""Marts for analysts: margin per filled line and the benefit of each fulfillment capability."""

import dagster as dg
import polars as pl
from pydantic import Field

from contracts.report import markdown_table
from optimizers.benefits import BenefitAssumptions, benefit_scenarios
from pipelines.plan_store import load_inputs, load_plan, plan_run_id, write_run_frame
from pipelines.resources import WarehouseResource
from pipelines.run_config import AllocationConfig

_DEFAULT = BenefitAssumptions()


class BenefitConfig(dg.Config):
    """Assumptions behind the benefit estimates (analysts change these, not code)."""

    allocation: AllocationConfig = Field(
        default_factory=lambda: AllocationConfig(time_limit_s=20.0, mip_gap=0.01),
        description="The allocation settings the counterfactual re-runs start from (a shorter "
        "time limit and looser gap than the plan's own: these are estimates, re-solved four "
        "times).",
    )
    adoption: float = Field(
        _DEFAULT.adoption,
        ge=0,
        le=1,
        description="Share of the measured SFS/BOPIS effect realised.",
    )
    pickup_attach_rate: float = Field(
        _DEFAULT.pickup_attach_rate,
        ge=0,
        le=1,
        description="Share of pickup visits that buy more in store.",
    )
    attach_margin: float = Field(
        _DEFAULT.attach_margin, ge=0, description="Gross margin of that extra purchase, per visit."
    )
    return_rate: float = Field(
        _DEFAULT.return_rate,
        ge=0,
        le=1,
        description="Share of home-delivered units that come back.",
    )
    boris_adoption: float = Field(
        _DEFAULT.boris_adoption,
        ge=0,
        le=1,
        description="Share of returns brought to a store under BORIS.",
    )
    return_shipping_cost_per_unit: float = Field(
        _DEFAULT.return_shipping_cost_per_unit,
        ge=0,
        description="Carrier cost of a mailed return, saved per unit returned in store.",
    )
    store_return_cost_per_unit: float = Field(
        _DEFAULT.store_return_cost_per_unit,
        ge=0,
        description="Store labour and restocking per unit returned in store.",
    )
    boris_attach_rate: float = Field(
        _DEFAULT.boris_attach_rate,
        ge=0,
        le=1,
        description="Share of store returns that buy something.",
    )
    # fmt: skip

    def assumptions(self) -> BenefitAssumptions:
        return BenefitAssumptions(**self.model_dump(exclude={"allocation"}))


def line_margins(orders: pl.DataFrame, products: pl.DataFrame, allocations: pl.DataFrame):
    """Per allocation row: revenue, cost of goods, its parcel and handling cost, margin."""
    return (
        allocations.select(
            "order_id",
            "line_no",
            "sku",
            "node_id",
            "fulfillment_method",
            "quantity",
            "parcel_cost",
            "handling_cost",
        )  # fmt: skip
        .join(
            orders.select("order_id", "line_no", "channel", "unit_price"),
            on=["order_id", "line_no"],
            how="left",
        )  # fmt: skip
        .join(products.select("sku", "unit_cost"), on="sku", how="left")
        .with_columns(
            revenue=pl.col("quantity") * pl.col("unit_price"),
            cost_of_goods=pl.col("quantity") * pl.col("unit_cost"),
        )
        .with_columns(
            gross_margin=pl.col("revenue")
            - pl.col("cost_of_goods")
            - pl.col("parcel_cost")
            - pl.col("handling_cost")
        )  # fmt: skip
        .sort("order_id", "line_no", "node_id")
    )


@dg.asset(
    group_name="marts",
    kinds={"duckdb"},
    deps=["allocation_plan"],
    description="marts.line_margins: revenue, cost of goods, fulfillment cost and gross margin "
    "per filled order line and node, per run (optimizer plan).",
)
def margin_mart(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    with warehouse.connect() as con:
        run_id = plan_run_id(con, context.run.run_id)
        plan, inputs = load_plan(con, run_id, "optimizer"), load_inputs(con)
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
            "gross_margin": float(margins["gross_margin"].sum()),
            "by_channel": dg.MetadataValue.md(markdown_table(by_channel)),
        }
    )


@dg.asset(
    group_name="marts",
    kinds={"pulp", "duckdb"},
    deps=["allocation_plan"],
    description="marts.benefit_estimates: incremental gross margin of ship-from-store, BOPIS and "
    "BORIS, from counterfactual re-runs of the optimizer with each capability off vs on, plus "
    "the documented assumptions used.",
)
def benefit_estimates(
    context: dg.AssetExecutionContext, config: BenefitConfig, warehouse: WarehouseResource
):
    with warehouse.connect() as con:
        run_id = plan_run_id(con, context.run.run_id)
        inputs = load_inputs(con)
    benefits = benefit_scenarios(inputs, config.allocation.to_settings(), config.assumptions())
    with warehouse.connect() as con:
        write_run_frame(con, "marts.benefit_estimates", run_id, benefits)
    shown = benefits.select(pl.exclude("assumptions")).with_columns(pl.selectors.float().round(2))
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": benefits.height,
            "estimates": dg.MetadataValue.md(markdown_table(shown)),
            "assumptions": dg.MetadataValue.json(config.assumptions().__dict__),
        }
    )
