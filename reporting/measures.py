"""Base measures of a plan, shared by the KPIs, the breakdown tables and the benefit marts.

Ratios are fractions in [0, 1] (``None`` when the denominator is zero); money is in the
rate card's currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:  # runtime import would tie this pure module to the optimizer package
    from optimizers.types import AllocationResult

LINE = ["order_id", "line_no"]


@dataclass(frozen=True)
class GrossMargin:
    """Revenue − COGS − plan cost, on allocated units only."""

    revenue: float
    cogs: float
    plan_cost: float

    @property
    def gross_margin(self) -> float:
        return self.revenue - self.cogs - self.plan_cost

    @property
    def rate(self) -> float | None:
        return ratio(self.gross_margin, self.revenue)


def ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0 else numerator / denominator


def objective_of(result: AllocationResult) -> float:
    """The plan's objective: the recorded total when present, else the solver's value."""
    return float(result.objective_terms.get("objective", result.stats.objective))


def plan_cost_of(result: AllocationResult) -> float:
    """Parcels + handling: from the objective terms, else summed from the plan's frames."""
    if "parcel_cost" in result.objective_terms or "handling_cost" in result.objective_terms:
        return float(result.plan_cost)
    parcels = float(result.parcels["cost"].sum()) if result.parcels.height else 0.0
    handling = (
        float(result.allocations["handling_cost"].sum()) if result.allocations.height else 0.0
    )
    return parcels + handling


def units_allocated(result: AllocationResult) -> int:
    """Units the plan fills (every fulfillment method)."""
    return int(result.allocations["quantity"].sum()) if result.allocations.height else 0


def gross_margin(
    orders: pl.DataFrame, products: pl.DataFrame, result: AllocationResult
) -> GrossMargin:
    """Margin of what the plan fills: prices from orders, unit costs from products."""
    priced = (
        result.allocations.select(*LINE, "quantity")
        .join(orders.select(*LINE, "sku", "unit_price"), on=LINE, how="left")
        .join(products.select("sku", "unit_cost"), on="sku", how="left")
    )
    revenue = float((priced["quantity"] * priced["unit_price"].fill_null(0.0)).sum())
    cogs = float((priced["quantity"] * priced["unit_cost"].fill_null(0.0)).sum())
    return GrossMargin(revenue=revenue, cogs=cogs, plan_cost=plan_cost_of(result))


def weighted_quantile(values: pl.Series, weights: pl.Series, q: float) -> float | None:
    """Smallest value whose cumulative weight reaches q of the total (unit-weighted quantile)."""
    frame = pl.DataFrame({"v": values, "w": weights}).filter(pl.col("w") > 0).sort("v")
    total = float(frame["w"].sum()) if frame.height else 0.0
    if total == 0:
        return None
    reached = frame.filter(pl.col("w").cum_sum() >= q * total - 1e-9)
    return float(reached["v"][0])


def line_fill(orders: pl.DataFrame, result: AllocationResult) -> pl.DataFrame:
    """Every order line with its allocated units (0 when the plan does not touch it)."""
    allocated = result.allocations.group_by(LINE).agg(pl.col("quantity").sum().alias("allocated"))
    return (
        orders.select(*LINE, "channel", "quantity")
        .join(allocated, on=LINE, how="left")
        .with_columns(pl.col("allocated").fill_null(0).cast(pl.Int64))
        .with_columns(filled=pl.col("allocated") >= pl.col("quantity"))
    )


def planned_lines(orders: pl.DataFrame, result: AllocationResult) -> pl.DataFrame:
    """The order lines a plan decided, with the units it planned (allocated + backordered):
    a wave plans only the units still open, so its KPIs are over those."""
    units = (
        pl.concat(
            [
                result.allocations.select(*LINE, "quantity"),
                result.backorders.select(*LINE, "quantity"),
            ]
        )
        .group_by(LINE)
        .agg(planned=pl.col("quantity").sum())
    )
    return (
        orders.join(units, on=LINE)
        .with_columns(quantity=pl.col("planned").cast(pl.Int64))
        .drop("planned")
    )
