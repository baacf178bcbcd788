"""Supply on its way to a node: what still counts, what waves promised from it, what is free.

A supply row (a transfer in transit, a purchase order) counts until a stock snapshot of its
node x sku with ``snapshot_at >= expected_at`` arrives: then its units are in ``on_hand``.
An instruction promised from supply carries the ``available_at`` it was promised for; while
its supply is uncovered (no snapshot at or after that time) its units, open or shipped, are
committed against the node x sku's counted supply, earliest arrival first. Once a snapshot
covers it, it is a commitment against on-hand stock like any other (``orderbook.netting``).
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from optimizers.types import SUPPLY_INPUT_SCHEMA

NODE_SKU = ["node_id", "sku"]


def counted_supply(supply: pl.DataFrame, snapshots: pl.DataFrame) -> pl.DataFrame:
    """Supply rows with units that no snapshot covers yet."""
    return (
        supply.filter(pl.col("quantity") > 0)
        .join(snapshots, on=NODE_SKU, how="left")
        .filter(pl.col("snapshot_at").is_null() | (pl.col("snapshot_at") < pl.col("expected_at")))
        .drop("snapshot_at")
    )


def with_snapshots(commitments: pl.DataFrame, snapshots: pl.DataFrame) -> pl.DataFrame:
    """Commitments with ``from_supply``: promised from supply no snapshot covers yet."""
    uncovered = pl.col("available_at").is_not_null() & (
        pl.col("snapshot_at").is_null() | (pl.col("snapshot_at") < pl.col("available_at"))
    )
    return (
        commitments.join(snapshots, on=NODE_SKU, how="left")
        .with_columns(from_supply=uncovered)
        .drop("snapshot_at")
    )


def supply_committed(commitments: pl.DataFrame, snapshots: pl.DataFrame) -> pl.DataFrame:
    """Per node x sku: units promised from uncovered supply (open or shipped), and the
    shipped part (they left before a snapshot counted them)."""
    return (
        with_snapshots(commitments, snapshots)
        .filter(pl.col("from_supply"))
        .group_by(NODE_SKU)
        .agg(
            supply_committed=(pl.col("open") + pl.col("shipped")).sum(),
            supply_shipped=pl.col("shipped").sum(),
        )
    )


def arrival_day(day: date, zone: str, column: str = "expected_at") -> pl.Expr:
    """The business day supply arriving at ``column`` ships on: the day it arrives in
    ``zone``, at the earliest the day after the wave's ``day`` (units not on the shelf at
    the wave never ship that day)."""
    arrives = pl.col(column).dt.convert_time_zone(zone).dt.date()
    return pl.max_horizontal(arrives, pl.lit(day + timedelta(days=1), pl.Date))


def wait_days(day: date, zone: str) -> pl.Expr:
    """Whole days from the wave's business day to the day ``expected_at`` supply ships."""
    return (arrival_day(day, zone) - pl.lit(day, pl.Date)).dt.total_days().cast(pl.Int64)


def free_supply(
    counted: pl.DataFrame, committed: pl.DataFrame, day: date, zone: str
) -> pl.DataFrame:
    """What a wave may promise from supply (``SUPPLY_INPUT_SCHEMA``): each counted row less
    the commitments against its node x sku, taken earliest arrival first, per node x sku x
    day it can ship."""
    rows = (
        counted.join(committed.select(*NODE_SKU, "supply_committed"), on=NODE_SKU, how="left")
        .with_columns(pl.col("supply_committed").fill_null(0))
        .sort(*NODE_SKU, "expected_at", "supply_id")
        .with_columns(before=pl.col("quantity").cum_sum().over(NODE_SKU) - pl.col("quantity"))
        .with_columns(
            free=(
                pl.col("quantity")
                - (pl.col("supply_committed") - pl.col("before")).clip(0, pl.col("quantity"))
            )
        )
        .filter(pl.col("free") > 0)
        .with_columns(wait_days=wait_days(day, zone))
    )
    return (
        rows.group_by(*NODE_SKU, "wait_days")
        .agg(pl.col("expected_at").max(), available_to_promise=pl.col("free").sum())
        .select(list(SUPPLY_INPUT_SCHEMA))
        .cast(SUPPLY_INPUT_SCHEMA)
        .sort(*NODE_SKU, "wait_days")
    )


def supply_position(counted: pl.DataFrame, committed: pl.DataFrame) -> pl.DataFrame:
    """Per node x sku: counted units in transit and on order, and the committed part."""
    gross = counted.group_by(NODE_SKU).agg(
        in_transit=pl.col("quantity").filter(pl.col("kind") == "in_transit").sum(),
        on_order=pl.col("quantity").filter(pl.col("kind") == "purchase_order").sum(),
    )
    return gross.join(committed, on=NODE_SKU, how="full", coalesce=True).with_columns(
        pl.col("in_transit", "on_order", "supply_committed", "supply_shipped").fill_null(0)
    )
