"""Normalise validated input frames: stable order, defaults, one row per key, integer ids.

Everything downstream (candidates, model, baseline, extraction) works on integer indices
(``line_idx``, ``order_idx``, ``node_idx``, ``atp_idx``) assigned here from a stable sort, which
is what makes a plan reproducible: same inputs and settings, same indices, same model.

Supply due within the horizon becomes a *source*: one more node row per (node, days until it
can ship), with the node's attributes, that day's capacities and ``wait_days`` added to its
delivery days, and one ATP row per sku with its ``available_at``. Every model, the baseline
and the checker see it as a node like any other, so a unit of supply ships on its own day, in
its own parcel, against that day's capacity. Sources come after the real nodes, so a run
without supply keeps its indices.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from contracts.tables import ATP_SCHEMA, STAGING_SCHEMAS
from contracts.vocabulary import NodeType, OrderMethod
from optimizers.settings import AllocationSettings
from optimizers.types import (
    CAPACITY_COLUMNS,
    LINE_EXCLUSION_SCHEMA,
    PARCELS_SENT_SCHEMA,
    SUPPLY_CAPACITY_SCHEMA,
    SUPPLY_INPUT_SCHEMA,
    AllocationInputs,
)

NO_LIMIT = 2**62  # stands in for "unlimited" in integer capacity arithmetic


@dataclass(frozen=True)
class Prepared:
    """Inputs in index order with defaults filled in."""

    lines: pl.DataFrame  # line_idx, order_idx, ... one row per order line to fill
    nodes: pl.DataFrame  # node_idx, node_id, wait_days, ... one row per node or supply source
    atp: pl.DataFrame  # atp_idx, node_idx, node_id, sku, available_to_promise (> 0), available_at
    rates: pl.DataFrame  # service_level, max_distance_km (sorted), cost_per_package, ...
    lanes: pl.DataFrame
    exclusions: pl.DataFrame
    line_exclusions: pl.DataFrame  # order_id, line_no, node_id, reason
    later_supply: pl.DataFrame  # node_id, sku, expected_at, available_to_promise: past horizon


def conform(frame: pl.DataFrame | None, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """The frame with exactly the schema's columns and dtypes (missing ones as nulls)."""
    if frame is None:
        return pl.DataFrame(schema=schema)
    cols = [
        pl.col(name).cast(dtype, strict=False)
        if name in frame.columns
        else pl.lit(None, dtype=dtype).alias(name)
        for name, dtype in schema.items()
    ]
    return frame.select(cols)


def _lower(col: str) -> pl.Expr:
    return pl.col(col).str.to_lowercase().str.strip_chars()


def prepare_lines(
    orders: pl.DataFrame, products: pl.DataFrame, parcels_sent: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Order lines in processing order (ordered_at, order_id, line_no), with product data and
    the parcels earlier waves sent for the order (``parcels_sent``)."""
    orders = conform(orders, STAGING_SCHEMAS["orders"])
    products = (
        conform(products, STAGING_SCHEMAS["products"])
        .filter(pl.col("sku").is_not_null())
        .unique("sku", keep="first", maintain_order=True)
        .select("sku", "weight_kg", "unit_cost")
    )
    lines = (
        orders.filter(pl.col("order_id").is_not_null() & (pl.col("quantity") > 0))
        .sort(["ordered_at", "order_id", "line_no"], nulls_last=True, maintain_order=True)
        .unique(["order_id", "line_no"], keep="first", maintain_order=True)
        .with_columns(
            method=pl.when(_lower("fulfillment_method") == OrderMethod.PICKUP)
            .then(pl.lit(OrderMethod.PICKUP))
            .otherwise(pl.lit(OrderMethod.SHIP)),
            service_level=_lower("service_level").fill_null("standard"),
            channel=_lower("channel"),
            unit_price=pl.col("unit_price").fill_null(0.0).clip(lower_bound=0.0),
        )
        .join(products, on="sku", how="left", maintain_order="left")
        .with_columns(
            known_sku=pl.col("weight_kg").is_not_null(),
            weight_kg=pl.col("weight_kg").fill_null(0.0).clip(lower_bound=0.0),
            unit_cost=pl.col("unit_cost").fill_null(0.0),
            order_idx=(pl.col("order_id").rank("dense") - 1).cast(pl.Int64),
        )
        .with_row_index("line_idx")
        .with_columns(pl.col("line_idx").cast(pl.Int64))
    )
    sent = (
        conform(parcels_sent, PARCELS_SENT_SCHEMA)
        .group_by("order_id")
        .agg(parcels_sent=pl.col("parcels").sum())
    )
    return lines.join(sent, on="order_id", how="left", maintain_order="left").with_columns(
        pl.col("parcels_sent").fill_null(0).cast(pl.Int64)
    )


def prepare_nodes(nodes: pl.DataFrame) -> pl.DataFrame:
    """Nodes by node_id with defaults: null unit capacity = no limit, null flags = false."""
    nodes = conform(nodes, STAGING_SCHEMAS["nodes"])
    return (
        nodes.filter(pl.col("node_id").is_not_null())
        .sort("node_id", maintain_order=True)
        .unique("node_id", keep="first", maintain_order=True)
        .with_columns(
            *capacity_limits(),
            node_type=_lower("node_type").fill_null(NodeType.DC),
            supports_ship=pl.col("supports_ship").fill_null(False),
            supports_pickup=pl.col("supports_pickup").fill_null(False),
            handling_cost_per_order=pl.col("handling_cost_per_order").fill_null(0.0),
            handling_cost_per_unit=pl.col("handling_cost_per_unit").fill_null(0.0),
            processing_days=pl.col("processing_days").fill_null(0).clip(lower_bound=0),
            wait_days=pl.lit(0, pl.Int64),
        )
        .with_row_index("node_idx")
        .with_columns(pl.col("node_idx").cast(pl.Int64))
    )


def capacity_limits() -> list[pl.Expr]:
    """The limits the models read from a node's daily capacities: no unit capacity is
    ``NO_LIMIT``, no order or pickup capacity stays null (no limit)."""
    return [
        pl.col("ship_capacity_units").fill_null(NO_LIMIT).clip(lower_bound=0).alias("cap_units"),
        pl.col("ship_capacity_orders").clip(lower_bound=0).alias("cap_orders"),
        pl.col("pickup_capacity_orders").clip(lower_bound=0).alias("cap_pickup"),
    ]


def split_supply(supply: pl.DataFrame, horizon_days: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(the supply due within the horizon per node x wait_days x sku, units summed and
    ``available_at`` the latest ETA they pool; the rows due after it). The optimizer plans
    with the first and the checker holds a plan to it."""
    rows = conform(supply, SUPPLY_INPUT_SCHEMA).filter(
        (pl.col("available_to_promise") > 0) & (pl.col("wait_days") > 0)
    )
    due = pl.col("wait_days") <= horizon_days
    buckets = (
        rows.filter(due)
        .group_by("node_id", "wait_days", "sku")
        .agg(pl.col("available_to_promise").sum(), available_at=pl.col("expected_at").max())
    )
    later = rows.filter(~due).select("node_id", "sku", "expected_at", "available_to_promise")
    return buckets, later


def day_capacities(days: pl.DataFrame, capacity: pl.DataFrame, nodes: pl.DataFrame) -> pl.DataFrame:
    """Per (node_id, wait_days) of ``days``, in their order: the capacities of the day supply
    ships on, ``capacity``'s row (``SUPPLY_CAPACITY_SCHEMA``) where there is one, else the
    node's full daily ones."""
    keys = ["node_id", "wait_days"]
    day = (
        conform(capacity, SUPPLY_CAPACITY_SCHEMA)
        .unique(keys, keep="first", maintain_order=True)
        .with_columns(_day=pl.lit(True))
    )
    return (
        days.select(keys)
        .join(day, on=keys, how="left", maintain_order="left")
        .join(
            nodes.select("node_id", *CAPACITY_COLUMNS),
            on="node_id",
            how="left",
            suffix="_node",
            maintain_order="left",
        )
        .select(
            *keys,
            *(
                pl.when(pl.col("_day")).then(pl.col(c)).otherwise(pl.col(f"{c}_node")).alias(c)
                for c in CAPACITY_COLUMNS
            ),
        )
    )


def prepare_supply(
    supply: pl.DataFrame, capacity: pl.DataFrame, nodes: pl.DataFrame, horizon_days: int
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(supply sources as node rows without node_idx, the supply due within the horizon at
    known nodes, the supply due after it). A source has its day's capacities."""
    known = pl.col("node_id").is_in(nodes["node_id"].implode())
    due, later = (part.filter(known) for part in split_supply(supply, horizon_days))
    days = due.select("node_id", "wait_days").unique().sort("node_id", "wait_days")
    sources = (
        day_capacities(days, capacity, nodes)
        .join(
            nodes.drop("node_idx", "wait_days", *CAPACITY_COLUMNS),
            on="node_id",
            maintain_order="left",
        )
        .with_columns(capacity_limits())
    )
    return sources.select([c for c in nodes.columns if c != "node_idx"]), due, later


def with_sources(nodes: pl.DataFrame, sources: pl.DataFrame) -> pl.DataFrame:
    """Real nodes, then supply sources, indexed in that order."""
    first = nodes.height
    return pl.concat(
        [
            nodes,
            sources.with_row_index("node_idx", offset=first)
            .with_columns(pl.col("node_idx").cast(pl.Int64))
            .select(nodes.columns),
        ]
    )


def prepare_atp(
    atp: pl.DataFrame, nodes: pl.DataFrame, supply: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Positive ATP per known node x sku (duplicates: the largest figure), then per supply
    source x sku (``supply``: ``split_supply``'s due buckets)."""
    atp = conform(atp, ATP_SCHEMA)
    real = nodes.filter(pl.col("wait_days") == 0)
    on_hand = (
        atp.filter(pl.col("node_id").is_not_null() & pl.col("sku").is_not_null())
        .group_by("node_id", "sku")
        .agg(pl.col("available_to_promise").max())
        .filter(pl.col("available_to_promise") > 0)
        .join(real.select("node_id", "node_idx"), on="node_id", how="inner")
        .with_columns(available_at=pl.lit(None, SUPPLY_INPUT_SCHEMA["expected_at"]))
    )
    parts = [on_hand]
    if supply is not None and supply.height:
        parts.append(
            supply.join(
                nodes.select("node_id", "wait_days", "node_idx"), on=["node_id", "wait_days"]
            ).select(on_hand.columns)
        )
    return (
        pl.concat(parts)
        .sort("node_idx", "sku")
        .with_row_index("atp_idx")
        .with_columns(pl.col("atp_idx").cast(pl.Int64))
    )


def prepare(inputs: AllocationInputs, settings: AllocationSettings | None = None) -> Prepared:
    """All input frames normalised and indexed, supply sources among the nodes."""
    horizon = (settings or AllocationSettings()).supply_horizon_days
    real = prepare_nodes(inputs.nodes)
    sources, supply, later = prepare_supply(inputs.supply, inputs.supply_capacity, real, horizon)
    nodes = with_sources(real, sources)
    rates = (
        conform(inputs.rates, STAGING_SCHEMAS["rates"])
        .with_columns(service_level=_lower("service_level"))
        .filter(pl.col("service_level").is_not_null() & pl.col("max_distance_km").is_not_null())
        .sort("service_level", "max_distance_km", "cost_per_package", nulls_last=True)
        .unique(["service_level", "max_distance_km"], keep="first", maintain_order=True)
        .with_columns(
            pl.col("cost_per_package").fill_null(0.0),
            pl.col("cost_per_kg").fill_null(0.0),
            pl.col("transit_days").fill_null(0),
        )
    )
    lanes = (
        conform(inputs.lanes, STAGING_SCHEMAS["lanes"])
        .with_columns(service_level=_lower("service_level"))
        .filter(pl.all_horizontal(pl.col("node_id", "ship_to_zone", "service_level").is_not_null()))
        .sort("node_id", "ship_to_zone", "service_level", maintain_order=True)
        .unique(["node_id", "ship_to_zone", "service_level"], keep="first", maintain_order=True)
        .with_columns(
            pl.col("cost_per_package").fill_null(0.0),
            pl.col("cost_per_kg").fill_null(0.0),
            pl.col("transit_days").fill_null(0),
        )
    )
    exclusions = conform(inputs.exclusions, STAGING_SCHEMAS["exclusions"]).with_columns(
        channel=_lower("channel")
    )
    return Prepared(
        lines=prepare_lines(inputs.orders, inputs.products, inputs.parcels_sent),
        nodes=nodes,
        atp=prepare_atp(inputs.available_to_promise, nodes, supply),
        rates=rates,
        lanes=lanes,
        exclusions=exclusions,
        line_exclusions=conform(inputs.line_exclusions, LINE_EXCLUSION_SCHEMA),
        later_supply=later,
    )
