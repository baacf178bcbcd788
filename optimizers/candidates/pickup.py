"""BOPIS preparation capacity: which orders a store may prepare for pickup on a day.

A store with ``pickup_capacity_orders`` prepares at most that many pickup orders per day. The
slots go to the pickup orders it has stock for, first come first served (order time, then
order id: the order in which a store works its pick list), before the optimizer decides how
each order is filled; an order without a slot may still be served by a ship-to-store parcel
or from the store's supply on a later day. A deliberate simplification: the slots are not
themselves optimized, so a slot given to an order the optimizer then serves otherwise is not
handed on (the limit is never exceeded; a bound on it would need a new coupling row in every
model).
"""

from __future__ import annotations

import polars as pl

from contracts.vocabulary import OrderMethod


def pickup_slots(lines: pl.DataFrame, nodes: pl.DataFrame, atp: pl.DataFrame) -> pl.DataFrame:
    """(order_idx, node_idx) pairs that may use an own-store pickup at a capped node or
    source, plus ``capped`` = True; nodes without a limit do not appear."""
    capped = nodes.filter(pl.col("cap_pickup").is_not_null()).select(
        "node_idx", "node_id", "cap_pickup"
    )
    wanting = (
        lines.filter(pl.col("method") == OrderMethod.PICKUP)
        .select("order_idx", "sku", pl.col("pickup_node_id").alias("node_id"))
        .join(capped, on="node_id")
        .join(atp.select("node_idx", "sku"), on=["node_idx", "sku"], how="semi")
        .select("order_idx", "node_idx", "cap_pickup")
        .unique()
    )
    return (
        wanting.with_columns(slot=pl.col("order_idx").rank("dense").over("node_idx"))
        .filter(pl.col("slot") <= pl.col("cap_pickup"))
        .select("order_idx", "node_idx", slotted=pl.lit(True))
    )


def capped_nodes(nodes: pl.DataFrame) -> pl.DataFrame:
    """node_idx of nodes and sources with a pickup limit."""
    return nodes.filter(pl.col("cap_pickup").is_not_null()).select("node_idx", capped=pl.lit(True))
