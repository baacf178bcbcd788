"""Available to promise: what each node can still give away of each SKU."""

from __future__ import annotations

import polars as pl

from contracts.tables import ATP_SCHEMA


def available_to_promise(stock: pl.DataFrame) -> pl.DataFrame:
    """ATP per (node, sku) from the newest snapshot: max(0, on_hand - reserved - safety_stock).

    Older snapshots are history, not extra stock; an absent safety_stock counts as 0. Sorted
    by node and sku so the same stock always gives the same frame.
    """
    newest = stock.filter(
        pl.col("snapshot_at") == pl.col("snapshot_at").max().over("node_id", "sku")
    )
    free = pl.col("on_hand") - pl.col("reserved") - pl.col("safety_stock").fill_null(0)
    return (
        newest.group_by("node_id", "sku")
        .agg(free.max().alias("available_to_promise"))  # one row per snapshot key: max is a no-op
        .with_columns(pl.col("available_to_promise").clip(lower_bound=0))
        .select(list(ATP_SCHEMA))
        .cast(ATP_SCHEMA)
        .sort("node_id", "sku")
    )
