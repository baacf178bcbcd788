"""Audit a finished plan against the inputs it was made from, rule by rule.

Works on the published frames (allocations, backorders), not on the model, so it catches a
mistake anywhere between the solver and the outbox. The Dagster asset check runs it on every
plan; a plan that fails it is never reported as good.
"""

from __future__ import annotations

import polars as pl

from optimizers.types import AllocationInputs, AllocationResult, AllocationSettings

SHIP_METHODS = ("ship_from_dc", "ship_from_store", "ship_to_store")


def _count(frame: pl.DataFrame, what: str) -> list[str]:
    return [f"{frame.height} {what}"] if frame.height else []


def audit_plan(
    inputs: AllocationInputs, plan: AllocationResult, settings: AllocationSettings
) -> list[str]:
    """Every broken rule, as ``"<count> <what>"``; empty when the plan keeps them all."""
    fills, orders, nodes = plan.allocations, inputs.orders, inputs.nodes
    q = pl.col("quantity")
    found = _count(fills.filter(q <= 0), "allocation rows with a non-positive quantity")

    allocated = fills.group_by("order_id", "line_no").agg(allocated=q.sum())
    backordered = plan.backorders.group_by("order_id", "line_no").agg(backordered=q.sum())
    lines = (
        orders.select("order_id", "line_no", "quantity")
        .join(allocated, on=["order_id", "line_no"], how="full", coalesce=True)
        .join(backordered, on=["order_id", "line_no"], how="full", coalesce=True)
        .fill_null(0)
    )
    found += _count(
        lines.filter(q != pl.col("allocated") + pl.col("backordered")),
        "lines where allocated + backordered != ordered (or unknown lines)",
    )

    taken = fills.group_by("node_id", "sku").agg(q.sum())
    atp = taken.join(inputs.available_to_promise, on=["node_id", "sku"], how="left")
    found += _count(
        atp.filter(q > pl.col("available_to_promise").fill_null(0)), "node x sku above ATP"
    )

    shipped = fills.filter(pl.col("fulfillment_method").is_in(SHIP_METHODS))
    per_node = shipped.group_by("node_id").agg(q.sum(), orders=pl.col("order_id").n_unique())
    per_node = per_node.join(nodes, on="node_id", how="left")
    found += _count(per_node.filter(q > pl.col("ship_capacity_units")), "nodes over unit capacity")
    found += _count(
        per_node.filter(pl.col("orders") > pl.col("ship_capacity_orders")),
        "nodes over order capacity",
    )
    store_ship_allowed = pl.col("supports_ship") & (
        (pl.col("node_type") != "store") | pl.lit(settings.ship_from_store)
    )
    found += _count(
        shipped.join(nodes, on="node_id", how="left").filter(~store_ship_allowed.fill_null(False)),
        "shipments from nodes that may not ship",
    )

    with_line = fills.join(
        orders.select("order_id", "line_no", "customer_id", "channel", "pickup_node_id"),
        on=["order_id", "line_no"],
        how="left",
    )
    method = pl.col("fulfillment_method")
    pickup = with_line.filter(method == "pickup_in_store").join(nodes, on="node_id", how="left")
    found += _count(
        pickup.filter(
            (pl.col("node_id") != pl.col("pickup_node_id"))
            | ~pl.col("supports_pickup").fill_null(False)
            | pl.lit(not settings.pickup_in_store)
        ),
        "pickups at a store that is not the line's pickup store (or BOPIS off)",
    )
    found += _count(
        with_line.filter(
            (method == "ship_to_store")
            & (
                (pl.col("destination_node_id") != pl.col("pickup_node_id"))
                | pl.lit(not settings.ship_to_store)
            )
        ),
        "ship-to-store legs not bound for the line's pickup store (or ship-to-store off)",
    )

    excluded = with_line.join(inputs.exclusions, on="node_id", how="inner", suffix="_rule")
    matches = pl.all_horizontal(
        pl.col(f"{field}_rule").is_null() | (pl.col(f"{field}_rule") == pl.col(field))
        for field in ("sku", "customer_id", "channel")
    )
    found += _count(excluded.filter(matches), "allocations from an excluded node")

    parcels = fills.filter(pl.col("parcel_id").is_not_null()).group_by("order_id")
    found += _count(
        parcels.agg(n=pl.col("parcel_id").n_unique()).filter(
            pl.col("n") > settings.max_parcels_per_order
        ),
        "orders over the parcel limit",
    )
    return found
