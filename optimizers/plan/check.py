"""The one plan checker: every rule a plan must keep, re-checked from the inputs.

It works on allocation rows, not on the model, so it catches a mistake anywhere between the
solver and the outbox: ``fill_violations`` guards a plan before the optimizer keeps it (the
solver's values are rounded to whole units), ``audit_plan`` re-checks every published plan
(the ``plan_is_feasible`` asset check). The tests carry their own, independent referee.
"""

from __future__ import annotations

import polars as pl

from contracts.results import with_available_at
from contracts.vocabulary import SHIPPING_MODES, Mode, NodeType
from optimizers.candidates import Candidates
from optimizers.candidates.prepare import day_capacities, split_supply
from optimizers.plan.extract import allocations_frame, plan_rows
from optimizers.settings import AllocationSettings
from optimizers.types import CAPACITY_COLUMNS, AllocationInputs, AllocationResult


def _count(frame: pl.DataFrame, what: str) -> list[str]:
    return [f"{frame.height} {what}"] if frame.height else []


def audit_plan(
    inputs: AllocationInputs, plan: AllocationResult, settings: AllocationSettings
) -> list[str]:
    """Every broken rule of a finished plan, its backorders included (the asset check)."""
    return plan_violations(inputs, settings, plan.allocations, plan.backorders)


def fill_violations(c: Candidates, fills: pl.DataFrame) -> list[str]:
    """Every broken rule of a plan still in fills form (the guard before a plan is kept),
    against the normalised inputs the candidates were built from."""
    return plan_violations(c.as_inputs(), c.settings, allocations_frame(plan_rows(c, fills)))


def plan_violations(
    inputs: AllocationInputs,
    settings: AllocationSettings,
    fills: pl.DataFrame,
    backorders: pl.DataFrame | None = None,
) -> list[str]:
    """Every broken rule, as ``"<count> <what>"``; empty when the plan keeps them all.

    fills: allocation rows (``contracts.results.ALLOCATION_SCHEMA``). backorders: the plan's
    backorders, to check that every ordered unit is allocated or backordered; without them,
    that no line is allocated beyond its quantity.
    """
    q = pl.col("quantity")
    fills = with_available_at(fills)
    with_line = fills.join(
        inputs.orders.select("order_id", "line_no", "customer_id", "channel", "pickup_node_id"),
        on=["order_id", "line_no"],
        how="left",
    )
    return [
        *_count(fills.filter(q <= 0), "allocation rows with a non-positive quantity"),
        *_line_balance(inputs.orders, fills, backorders),
        *_stock(inputs, settings, fills),
        *_shipping(inputs, settings, fills),
        *_pickups(inputs, settings, with_line),
        *_exclusions(inputs, with_line),
        *_parcel_limit(inputs, settings, fills),
    ]


def _supply_buckets(inputs: AllocationInputs, settings: AllocationSettings) -> pl.DataFrame:
    """Supply a plan may use: per node x sku x wait, due within the horizon, with the
    ``available_at`` its fills carry."""
    return split_supply(inputs.supply, settings.supply_horizon_days)[0]


def _with_wait(
    inputs: AllocationInputs, settings: AllocationSettings, fills: pl.DataFrame
) -> pl.DataFrame:
    """Fills with ``wait_days``: 0 for stock on hand, the supply bucket's for supply, null
    for a fill from supply the plan may not use."""
    buckets = _supply_buckets(inputs, settings).select(
        "node_id", "sku", "available_at", "wait_days"
    )
    joined = fills.join(buckets, on=["node_id", "sku", "available_at"], how="left")
    return joined.with_columns(
        wait_days=pl.when(pl.col("available_at").is_null()).then(0).otherwise("wait_days")
    )


def _stock(
    inputs: AllocationInputs, settings: AllocationSettings, fills: pl.DataFrame
) -> list[str]:
    q = pl.col("quantity")
    on_hand = fills.filter(pl.col("available_at").is_null())
    taken = on_hand.group_by("node_id", "sku").agg(q.sum())
    atp = taken.join(inputs.available_to_promise, on=["node_id", "sku"], how="left")
    keys = ["node_id", "sku", "available_at"]
    supplied = fills.filter(pl.col("available_at").is_not_null()).group_by(keys).agg(q.sum())
    supply = supplied.join(_supply_buckets(inputs, settings), on=keys, how="left")
    return [
        *_count(
            atp.filter(q > pl.col("available_to_promise").fill_null(0)), "node x sku above ATP"
        ),
        *_count(
            supply.filter(q > pl.col("available_to_promise").fill_null(0)),
            "node x sku x arrival above the supply due within the horizon",
        ),
    ]


def _day_capacities(inputs: AllocationInputs) -> pl.DataFrame:
    """Capacities per node and day (``wait_days``): the node's for today, the day's for the
    days supply ships (``candidates.prepare.day_capacities``)."""
    nodes = inputs.nodes.select("node_id", *CAPACITY_COLUMNS)
    later = day_capacities(
        inputs.supply.select("node_id", "wait_days").unique(), inputs.supply_capacity, nodes
    )
    today = nodes.select("node_id", pl.lit(0, pl.Int64).alias("wait_days"), *CAPACITY_COLUMNS)
    return pl.concat([today, later.cast(today.schema)])


def _shipping(
    inputs: AllocationInputs, settings: AllocationSettings, fills: pl.DataFrame
) -> list[str]:
    """Unit and order capacity of shipping nodes per day, pickup preparation capacity per
    day, and who may ship at all."""
    q, nodes = pl.col("quantity"), inputs.nodes
    dated = _with_wait(inputs, settings, fills)
    caps = _day_capacities(inputs)
    shipped = dated.filter(pl.col("fulfillment_method").is_in(SHIPPING_MODES))
    per_day = (
        shipped.group_by("node_id", "wait_days")
        .agg(q.sum(), orders=pl.col("order_id").n_unique())
        .join(caps, on=["node_id", "wait_days"], how="left")
    )
    pickups = (
        dated.filter(pl.col("fulfillment_method") == Mode.PICKUP_IN_STORE)
        .group_by("node_id", "wait_days")
        .agg(orders=pl.col("order_id").n_unique())
        .join(caps, on=["node_id", "wait_days"], how="left")
    )
    store_ship_allowed = pl.col("supports_ship") & (
        (pl.col("node_type") != NodeType.STORE) | pl.lit(settings.ship_from_store)
    )
    return [
        *_count(per_day.filter(q > pl.col("ship_capacity_units")), "node-days over unit capacity"),
        *_count(
            per_day.filter(pl.col("orders") > pl.col("ship_capacity_orders")),
            "node-days over order capacity",
        ),
        *_count(
            pickups.filter(pl.col("orders") > pl.col("pickup_capacity_orders")),
            "store-days over pickup capacity",
        ),
        *_count(
            shipped.join(nodes, on="node_id", how="left").filter(
                ~store_ship_allowed.fill_null(False)
            ),
            "shipments from nodes that may not ship",
        ),
    ]


def _pickups(
    inputs: AllocationInputs, settings: AllocationSettings, with_line: pl.DataFrame
) -> list[str]:
    """Own-store pickups at the line's own store, ship-to-store legs bound for it."""
    method = pl.col("fulfillment_method")
    pickup = with_line.filter(method == Mode.PICKUP_IN_STORE).join(
        inputs.nodes, on="node_id", how="left"
    )
    wrong_store = (
        (pl.col("node_id") != pl.col("pickup_node_id"))
        | ~pl.col("supports_pickup").fill_null(False)
        | pl.lit(not settings.pickup_in_store)
    )
    wrong_leg = (method == Mode.SHIP_TO_STORE) & (
        (pl.col("destination_node_id") != pl.col("pickup_node_id"))
        | pl.lit(not settings.ship_to_store)
    )
    return [
        *_count(
            pickup.filter(wrong_store),
            "pickups at a store that is not the line's pickup store (or BOPIS off)",
        ),
        *_count(
            with_line.filter(wrong_leg),
            "ship-to-store legs not bound for the line's pickup store (or ship-to-store off)",
        ),
    ]


def _exclusions(inputs: AllocationInputs, with_line: pl.DataFrame) -> list[str]:
    excluded = with_line.join(inputs.exclusions, on="node_id", how="inner", suffix="_rule")
    matches = pl.all_horizontal(
        pl.col(f"{field}_rule").is_null() | (pl.col(f"{field}_rule") == pl.col(field))
        for field in ("sku", "customer_id", "channel")
    )
    rejected = with_line.join(
        inputs.line_exclusions, on=["order_id", "line_no", "node_id"], how="semi"
    )
    return [
        *_count(excluded.filter(matches), "allocations from an excluded node"),
        *_count(rejected, "allocations from a node that rejected the line"),
    ]


def _parcel_limit(
    inputs: AllocationInputs, settings: AllocationSettings, fills: pl.DataFrame
) -> list[str]:
    """Parcels per order, those earlier waves sent included."""
    parcels = fills.filter(pl.col("parcel_id").is_not_null()).group_by("order_id")
    sent = inputs.parcels_sent.group_by("order_id").agg(sent=pl.col("parcels").sum())
    counted = parcels.agg(n=pl.col("parcel_id").n_unique()).join(sent, on="order_id", how="left")
    return _count(
        counted.filter(pl.col("n") + pl.col("sent").fill_null(0) > settings.max_parcels_per_order),
        "orders over the parcel limit",
    )


def _line_balance(
    orders: pl.DataFrame, fills: pl.DataFrame, backorders: pl.DataFrame | None
) -> list[str]:
    q = pl.col("quantity")
    allocated = fills.group_by("order_id", "line_no").agg(allocated=q.sum())
    lines = orders.select("order_id", "line_no", "quantity").join(
        allocated, on=["order_id", "line_no"], how="full", coalesce=True
    )
    if backorders is None:
        return _count(
            lines.fill_null(0).filter(pl.col("allocated") > q),
            "lines allocated beyond their quantity (or unknown lines)",
        )
    backordered = backorders.group_by("order_id", "line_no").agg(backordered=q.sum())
    lines = lines.join(backordered, on=["order_id", "line_no"], how="full", coalesce=True)
    return _count(
        lines.fill_null(0).filter(q != pl.col("allocated") + pl.col("backordered")),
        "lines where allocated + backordered != ordered (or unknown lines)",
    )
