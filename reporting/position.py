"""The report's view of the inventory position and of each node's days.

Per node (all its skus): on hand, committed, free to promise, on its way (in transit, on
order) and the open demand it could serve; per node and business day: what the published
waves use of its capacities. Shown after the plan's own tables in both report formats.
"""

from __future__ import annotations

import polars as pl

POSITION_COLUMNS = (
    "on_hand",
    "committed",
    "available_to_promise",
    "in_transit",
    "on_order",
    "supply_committed",
    "open_demand",
)


def position_by_node(position: pl.DataFrame) -> pl.DataFrame:
    """One row per node: the position summed over its skus, busiest (most demand) first."""
    if position.is_empty():
        return pl.DataFrame(
            schema={"node_id": pl.String, **dict.fromkeys(POSITION_COLUMNS, pl.Int64)}
        )
    return (
        position.group_by("node_id")
        .agg(pl.col(*POSITION_COLUMNS).sum())
        .sort(["open_demand", "node_id"], descending=[True, False])
    )


def capacity_by_day(days: pl.DataFrame) -> pl.DataFrame:
    """Node-days with work, fullest first: units, orders and pickups against capacity."""
    return days.sort(
        ["unit_utilization", "node_id", "business_day"],
        descending=[True, False, False],
        nulls_last=True,
    ).with_columns(pl.col("business_day").cast(pl.String))


def position_tables(
    position: pl.DataFrame | None, days: pl.DataFrame | None, top: int
) -> list[tuple[str, pl.DataFrame]]:
    """The report's extra tables (none before the position was computed)."""
    tables = []
    if position is not None:
        tables.append(
            (
                f"Inventory position per node (top {top} by open demand)",
                position_by_node(position).head(top),
            )
        )
    if days is not None:
        tables.append(
            (f"Capacity per node and day (top {top} by units)", capacity_by_day(days).head(top))
        )
    return tables
