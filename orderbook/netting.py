"""What a wave may still give away: stock, today's capacity and parcels, net of commitments.

ATP(node, sku) = max(0, on_hand - reserved - safety_stock - committed - rejected_since), per
the newest snapshot of the node x sku, where ``committed`` = units instructed there that are
neither rejected nor cancelled and were not shipped by the snapshot's ``snapshot_at`` (units
shipped later are still in its on_hand), and ``rejected_since`` = units the node rejected
after ``snapshot_at`` (it said it does not have them; the next snapshot will say so too).
Capacities are per business day: a wave may use what the day's earlier published waves left.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from contracts.results import INVENTORY_SCHEMA
from contracts.vocabulary import SHIPPING_MODES, LineEvent
from optimizers.types import LINE_EXCLUSION_SCHEMA, PARCELS_SENT_SCHEMA
from orderbook.state import LINE, OrderBook

NODE_SKU = ["node_id", "sku"]


def net_available(stock: pl.DataFrame, book: OrderBook, events: pl.DataFrame) -> pl.DataFrame:
    """Per node x sku with a snapshot: the snapshot's figures, the commitments against it and
    what is left to promise (``INVENTORY_SCHEMA``). ``events`` holds the shipped and rejected
    events (published and this wave's)."""
    newest = (
        stock.filter(pl.col("snapshot_at") == pl.col("snapshot_at").max().over(NODE_SKU))
        .group_by(NODE_SKU)
        .agg(
            pl.col("snapshot_at").first(),
            pl.col("on_hand", "reserved").max(),
            pl.col("safety_stock").fill_null(0).max(),
        )
    )
    open_units = book.commitments.group_by(NODE_SKU).agg(open=pl.col("open").sum())
    after = (
        events.filter(pl.col("event").is_in([LineEvent.SHIPPED.value, LineEvent.REJECTED.value]))
        .join(newest.select(*NODE_SKU, "snapshot_at"), on=NODE_SKU)
        .filter(pl.col("at") > pl.col("snapshot_at"))
        .group_by(NODE_SKU)
        .agg(
            shipped_after=pl.col("quantity").filter(pl.col("event") == LineEvent.SHIPPED).sum(),
            rejected_since=pl.col("quantity").filter(pl.col("event") == LineEvent.REJECTED).sum(),
        )
    )
    free = pl.col("on_hand") - pl.col("reserved") - pl.col("safety_stock")
    return (
        newest.join(open_units, on=NODE_SKU, how="left")
        .join(after, on=NODE_SKU, how="left")
        .with_columns(pl.col("open", "shipped_after", "rejected_since").fill_null(0))
        .with_columns(committed=pl.col("open") + pl.col("shipped_after"))
        .with_columns(
            available_to_promise=(free - pl.col("committed") - pl.col("rejected_since")).clip(
                lower_bound=0
            )
        )
        .select(list(INVENTORY_SCHEMA))
        .cast(INVENTORY_SCHEMA)
        .sort(NODE_SKU)
    )


def _in_use(commitments: pl.DataFrame) -> pl.DataFrame:
    """Commitments still holding capacity or a parcel: instructed, not rejected or cancelled."""
    return commitments.with_columns(
        used=pl.col("quantity") - pl.col("rejected") - pl.col("cancelled")
    ).filter((pl.col("used") > 0) & pl.col("fulfillment_method").is_in(SHIPPING_MODES))


def capacity_left(nodes: pl.DataFrame, book: OrderBook, day: date) -> pl.DataFrame:
    """Nodes with ship capacities reduced by what the day's earlier waves use (null = none)."""
    today = _in_use(book.commitments).filter(pl.col("business_day") == day)
    used = today.group_by("node_id").agg(
        used_units=pl.col("used").sum(), used_orders=pl.col("order_id").n_unique()
    )
    return (
        nodes.join(used, on="node_id", how="left")
        .with_columns(pl.col("used_units", "used_orders").fill_null(0))
        .with_columns(
            ship_capacity_units=(pl.col("ship_capacity_units") - pl.col("used_units")).clip(
                lower_bound=0
            ),
            ship_capacity_orders=(pl.col("ship_capacity_orders") - pl.col("used_orders")).clip(
                lower_bound=0
            ),
        )
        .drop("used_units", "used_orders")
    )


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
