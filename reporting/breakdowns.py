"""Breakdown tables of a plan (per node, method, channel, day, reason, cost term) for charts.

Each table is one function over the plan's frames; the KPI report and the marts show them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from contracts.vocabulary import MODES, SHIPPING_MODES, Mode
from optimizers.model.objective import TERMS as COST_TERMS
from reporting.measures import (
    LINE,
    objective_of,
    plan_cost_of,
    ratio,
)

if TYPE_CHECKING:
    from optimizers.types import AllocationResult


def node_utilization(nodes: pl.DataFrame, result: AllocationResult) -> pl.DataFrame:
    """Per node: units and orders shipped on the wave's day against that day's ship capacity
    (pickups use none). Fills from supply ship on the day it arrives, against that day's
    capacity: they are in ``marts.daily_utilization``, not here (else a node would show far
    above 100 %)."""
    today = (
        pl.col("available_at").is_null() if "available_at" in result.allocations.columns else True
    )
    shipped = result.allocations.filter(pl.col("fulfillment_method").is_in(SHIPPING_MODES) & today)
    ship = shipped.group_by("node_id").agg(
        pl.col("quantity").sum().alias("units_shipped"),
        pl.col("order_id").n_unique().alias("orders_shipped"),
    )
    picked = (
        result.allocations.filter(pl.col("fulfillment_method") == Mode.PICKUP_IN_STORE)
        .group_by("node_id")
        .agg(pl.col("quantity").sum().alias("units_picked_up"))
    )
    cap_units, cap_orders = pl.col("ship_capacity_units"), pl.col("ship_capacity_orders")
    return (
        nodes.select("node_id", "node_type", "ship_capacity_units", "ship_capacity_orders")
        .join(ship, on="node_id", how="left")
        .join(picked, on="node_id", how="left")
        .with_columns(
            pl.col("units_shipped", "orders_shipped", "units_picked_up").fill_null(0).cast(pl.Int64)
        )
        .with_columns(
            unit_utilization=pl.when(cap_units > 0).then(pl.col("units_shipped") / cap_units),
            order_utilization=pl.when(cap_orders > 0).then(pl.col("orders_shipped") / cap_orders),
        )
        .select(
            "node_id",
            "node_type",
            "units_shipped",
            "ship_capacity_units",
            "unit_utilization",
            "orders_shipped",
            "ship_capacity_orders",
            "order_utilization",
            "units_picked_up",
        )
        .sort(["unit_utilization", "node_id"], descending=[True, False], nulls_last=True)
    )


def method_mix(result: AllocationResult) -> pl.DataFrame:
    """Allocated lines and units per fulfillment method (all four methods, fixed order)."""
    per_method = result.allocations.group_by("fulfillment_method").agg(
        pl.struct(LINE).n_unique().alias("lines"), pl.col("quantity").sum().alias("units")
    )
    total = float(per_method["units"].sum()) if per_method.height else 0.0
    return (
        pl.DataFrame({"fulfillment_method": list(MODES)})
        .join(per_method, on="fulfillment_method", how="left")
        .with_columns(pl.col("lines", "units").fill_null(0).cast(pl.Int64))
        .with_columns(unit_share=pl.col("units") / total if total else pl.lit(None, pl.Float64))
    )


def channel_mix(lines: pl.DataFrame) -> pl.DataFrame:
    """Demand and fill per sales channel; ``unit_share`` is the channel's share of ordered units."""
    total = float(lines["quantity"].sum()) if lines.height else 0.0
    return (
        lines.group_by("channel")
        .agg(
            pl.col("order_id").n_unique().alias("orders"),
            pl.len().cast(pl.Int64).alias("lines"),
            pl.col("quantity").sum().alias("units_ordered"),
            pl.col("allocated").sum().alias("units_allocated"),
        )
        .with_columns(
            fill_rate_units=pl.col("units_allocated") / pl.col("units_ordered"),
            unit_share=pl.col("units_ordered") / total if total else pl.lit(None, pl.Float64),
        )
        .sort(["units_ordered", "channel"], descending=[True, False])
    )


def parcels_per_served_order(result: AllocationResult) -> pl.DataFrame:
    """Served orders with their parcel and node counts (pickup-only orders have 0 parcels)."""
    served = result.allocations.group_by("order_id").agg(
        pl.col("node_id").n_unique().alias("nodes")
    )
    parcels = result.parcels.group_by("order_id").agg(
        pl.col("parcel_id").n_unique().alias("parcels")
    )
    return served.join(parcels, on="order_id", how="left").with_columns(
        pl.col("parcels").fill_null(0).cast(pl.Int64)
    )


def delivery(orders: pl.DataFrame, result: AllocationResult) -> tuple[pl.DataFrame, float | None]:
    """Units per delivery day, and the on-time share of units that carry a promise."""
    alloc = result.allocations.select(*LINE, "quantity", "expected_delivery_days")
    days = (
        alloc.group_by("expected_delivery_days")
        .agg(pl.col("quantity").sum().alias("units"))
        .rename({"expected_delivery_days": "days"})
        .sort("days")
    )
    promised = alloc.join(orders.select(*LINE, "promised_days"), on=LINE, how="left").filter(
        pl.col("promised_days").is_not_null()
    )
    on_time = promised.filter(pl.col("expected_delivery_days") <= pl.col("promised_days"))
    return days, ratio(float(on_time["quantity"].sum()), float(promised["quantity"].sum()))


def backorders_by_reason(result: AllocationResult) -> pl.DataFrame:
    return (
        result.backorders.group_by("reason")
        .agg(pl.struct(LINE).n_unique().alias("lines"), pl.col("quantity").sum().alias("units"))
        .with_columns(pl.col("lines", "units").cast(pl.Int64))
        .sort(["units", "reason"], descending=[True, False])
    )


def cost_comparison(result: AllocationResult, baseline: AllocationResult | None) -> pl.DataFrame:
    """Objective terms side by side; savings = baseline − optimized (positive is better)."""

    def terms(r: AllocationResult) -> list[float]:
        return [float(r.objective_terms.get(t, 0.0)) for t in COST_TERMS] + [
            plan_cost_of(r),
            objective_of(r),
        ]

    optimized = terms(result)
    base = terms(baseline) if baseline is not None else [None] * len(optimized)
    frame = pl.DataFrame(
        {"term": [*COST_TERMS, "plan_cost", "objective"], "optimized": optimized, "baseline": base},
        schema={"term": pl.String, "optimized": pl.Float64, "baseline": pl.Float64},
    )
    return frame.with_columns(savings=pl.col("baseline") - pl.col("optimized")).with_columns(
        savings_pct=pl.when(pl.col("baseline") != 0).then(
            100 * pl.col("savings") / pl.col("baseline")
        )
    )
