"""What a wave may still give away: stock, today's capacity and parcels, net of commitments.

ATP(node, sku) = max(0, on_hand - reserved - safety_stock - committed - rejected_since), per
the newest snapshot of the node x sku, where ``committed`` = units instructed there that are
neither rejected nor cancelled and were not shipped by the snapshot's ``snapshot_at`` (units
shipped later are still in its on_hand), and ``rejected_since`` = units the node rejected
after ``snapshot_at`` (it said it does not have them; the next snapshot will say so too).
Capacities are per business day: a wave may use what the day's earlier published waves left,
and supply ships against the capacity of the day it arrives.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from contracts.results import INVENTORY_SCHEMA
from contracts.tables import STAGING_SCHEMAS
from contracts.vocabulary import SHIPPING_MODES, LineEvent, Mode
from optimizers.types import (
    CAPACITY_COLUMNS,
    LINE_EXCLUSION_SCHEMA,
    PARCELS_SENT_SCHEMA,
    SUPPLY_CAPACITY_SCHEMA,
)
from orderbook.state import LINE, OrderBook
from orderbook.supply import (
    counted_supply,
    free_supply,
    supply_committed,
    supply_position,
    with_snapshots,
)

NODE_SKU = ["node_id", "sku"]


def net_available(
    stock: pl.DataFrame,
    book: OrderBook,
    events: pl.DataFrame,
    supply: pl.DataFrame | None,
    *,
    day: date,
    zone: str = "UTC",
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(per node x sku with a snapshot or supply: the snapshot's figures, the commitments
    against it, what is left to promise and the supply on its way (``INVENTORY_SCHEMA``);
    the supply a wave may promise (``SUPPLY_INPUT_SCHEMA``)). ``events`` holds the shipped
    and rejected events (published and this wave's). Commitments promised from supply no
    snapshot covers yet net the supply, not the snapshot (``orderbook.supply``); beyond the
    supply still counted they net the snapshot too, so nothing is promised twice."""
    newest = (
        stock.filter(pl.col("snapshot_at") == pl.col("snapshot_at").max().over(NODE_SKU))
        .group_by(NODE_SKU)
        .agg(
            pl.col("snapshot_at").first(),
            pl.col("on_hand", "reserved").max(),
            pl.col("safety_stock").fill_null(0).max(),
        )
    )
    snapshots = newest.select(*NODE_SKU, "snapshot_at")
    supply = supply if supply is not None else pl.DataFrame(schema=STAGING_SCHEMAS["supply"])
    counted = counted_supply(supply, snapshots)
    committed = supply_committed(book.commitments, snapshots)
    position = supply_position(counted, committed).with_columns(
        excess=(pl.col("supply_committed") - pl.col("in_transit") - pl.col("on_order")).clip(
            lower_bound=0
        )
    )
    on_hand_commitments = with_snapshots(book.commitments, snapshots).filter(~pl.col("from_supply"))
    open_units = on_hand_commitments.group_by(NODE_SKU).agg(open=pl.col("open").sum())
    after = (
        events.filter(pl.col("event").is_in([LineEvent.SHIPPED.value, LineEvent.REJECTED.value]))
        .join(snapshots, on=NODE_SKU)
        .filter(pl.col("at") > pl.col("snapshot_at"))
        .group_by(NODE_SKU)
        .agg(
            shipped_after=pl.col("quantity").filter(pl.col("event") == LineEvent.SHIPPED).sum(),
            rejected_since=pl.col("quantity").filter(pl.col("event") == LineEvent.REJECTED).sum(),
        )
    )
    free_supply_rows = free_supply(counted, committed, day, zone)
    supply_free = free_supply_rows.group_by(NODE_SKU).agg(
        supply_available=pl.col("available_to_promise").sum()
    )
    free = pl.col("on_hand") - pl.col("reserved") - pl.col("safety_stock")
    zero_filled = ("on_hand", "reserved", "safety_stock", "open", "shipped_after", "rejected_since")
    inventory = (
        newest.join(position, on=NODE_SKU, how="full", coalesce=True)
        .join(open_units, on=NODE_SKU, how="left")
        .join(after, on=NODE_SKU, how="left")
        .join(supply_free, on=NODE_SKU, how="left")
        .with_columns(
            pl.col(
                *zero_filled,
                "in_transit",
                "on_order",
                "supply_committed",
                "supply_shipped",
                "excess",
                "supply_available",
            ).fill_null(0)
        )  # fmt: skip
        .with_columns(
            committed=pl.col("open")
            + (pl.col("shipped_after") - pl.col("supply_shipped")).clip(lower_bound=0)
            + pl.col("excess")
        )
        .with_columns(
            available_to_promise=(free - pl.col("committed") - pl.col("rejected_since")).clip(
                lower_bound=0
            )
        )
        .select(list(INVENTORY_SCHEMA))
        .cast(INVENTORY_SCHEMA)
        .sort(NODE_SKU)
    )
    return inventory, free_supply_rows


def held(commitments: pl.DataFrame) -> pl.DataFrame:
    """Commitments still holding capacity (a parcel, a pickup slot) with ``used``: units
    instructed and neither rejected nor cancelled."""
    return commitments.with_columns(
        used=pl.col("quantity") - pl.col("rejected") - pl.col("cancelled")
    ).filter(pl.col("used") > 0)


def _in_use(commitments: pl.DataFrame) -> pl.DataFrame:
    """Held commitments of the shipping modes (they hold a parcel)."""
    return held(commitments).filter(pl.col("fulfillment_method").is_in(SHIPPING_MODES))


def used_per_day(commitments: pl.DataFrame) -> pl.DataFrame:
    """Per node and business day: units and orders shipped, pickup orders prepared."""
    ships = pl.col("fulfillment_method").is_in(SHIPPING_MODES)
    pickup = pl.col("fulfillment_method") == Mode.PICKUP_IN_STORE
    return (
        held(commitments)
        .group_by("node_id", "business_day")
        .agg(
            used_units=pl.col("used").filter(ships).sum(),
            used_orders=pl.col("order_id").filter(ships).n_unique(),
            used_pickups=pl.col("order_id").filter(pickup).n_unique(),
        )
    )


def _left(capacities: pl.DataFrame, used: pl.DataFrame) -> pl.DataFrame:
    """Capacities (node_id, business_day, the three daily limits) less what is used."""
    minus = dict(zip(CAPACITY_COLUMNS, ("used_units", "used_orders", "used_pickups"), strict=True))
    return (
        capacities.join(used, on=["node_id", "business_day"], how="left")
        .with_columns(pl.col(*minus.values()).fill_null(0))
        .with_columns(
            (pl.col(cap) - pl.col(use)).clip(lower_bound=0).alias(cap) for cap, use in minus.items()
        )
        .drop(*minus.values())
    )


def capacity_left(nodes: pl.DataFrame, book: OrderBook, day: date) -> pl.DataFrame:
    """Nodes with their daily capacities (ship units and orders, pickup orders) reduced by
    what the day's earlier waves use (null = no limit)."""
    dated = nodes.with_columns(business_day=pl.lit(day, pl.Date))
    return _left(dated, used_per_day(book.commitments)).drop("business_day")


def supply_capacity_left(
    nodes: pl.DataFrame, book: OrderBook, day: date, supply: pl.DataFrame
) -> pl.DataFrame:
    """Per node and day supply ships on (``wait_days`` after ``day``): the node's daily
    capacities less what earlier waves put on that day (``SUPPLY_CAPACITY_SCHEMA``)."""
    days = supply.select("node_id", "wait_days").unique().sort("node_id", "wait_days")
    dated = days.join(nodes.select("node_id", *CAPACITY_COLUMNS), on="node_id").with_columns(
        business_day=pl.lit(day, pl.Date) + pl.duration(days=pl.col("wait_days"))
    )
    left = _left(dated, used_per_day(book.commitments))
    return left.select(list(SUPPLY_CAPACITY_SCHEMA)).cast(SUPPLY_CAPACITY_SCHEMA)


def parcels_sent(book: OrderBook) -> pl.DataFrame:
    """Parcels earlier waves sent per order (not wholly rejected or cancelled)."""
    return (
        _in_use(book.commitments)
        .group_by("order_id")
        .agg(parcels=pl.col("parcel_id").n_unique())
        .cast(PARCELS_SENT_SCHEMA)
    )


def rejecting_nodes(book: OrderBook) -> pl.DataFrame:
    """(order_id, line_no, node_id) a node rejected: it never fills that line again."""
    return (
        book.commitments.filter(pl.col("rejected") > 0)
        .select(*LINE, "node_id")
        .unique()
        .with_columns(reason=pl.lit("the node rejected this line"))
        .select(list(LINE_EXCLUSION_SCHEMA))
        .cast(LINE_EXCLUSION_SCHEMA)
    )
