"""Where every node x sku stands after a wave, and how full each node's days are.

``inventory_position``: per node x sku, what is on hand, held, committed and free, what is
on its way (in transit, on order, the part promised), and the open demand that node could
serve: the seed's "what is on hand, what is on its way, and what the demand is".
``daily_utilization``: per node and business day, what the day's published waves use of its
ship and pickup capacities (supply ships on the day it arrives).
"""

from __future__ import annotations

from datetime import date

import polars as pl

from contracts.results import INVENTORY_SCHEMA
from optimizers.candidates.eligibility import flagged_pairs
from optimizers.candidates.prepare import prepare
from optimizers.settings import AllocationSettings
from optimizers.types import CAPACITY_COLUMNS, AllocationInputs
from orderbook.netting import net_available, used_per_day
from orderbook.state import LINE, OrderBook
from orderbook.wave import PLANNED, Staged

NODE_SKU = ["node_id", "sku"]
POSITION_SCHEMA = pl.Schema(
    {
        **INVENTORY_SCHEMA,
        "instructed_open": pl.Int64(),  # open instructions at the node x sku (any source)
        "open_demand": pl.Int64(),  # open units of lines this node could fill
    }
)
UTILIZATION_SCHEMA = pl.Schema(
    {
        "node_id": pl.String(),
        "business_day": pl.Date(),
        "units_shipped": pl.Int64(),
        "ship_capacity_units": pl.Int64(),
        "unit_utilization": pl.Float64(),
        "orders_shipped": pl.Int64(),
        "ship_capacity_orders": pl.Int64(),
        "pickup_orders": pl.Int64(),
        "pickup_capacity_orders": pl.Int64(),
    }
)


def open_demand(book: OrderBook, staged: Staged, settings: AllocationSettings) -> pl.DataFrame:
    """Per node x sku: open units of the lines that node may fill (mode, rate and
    exclusions allow it; stock aside)."""
    open_lines = book.lines.filter(pl.col("open") > 0).select(*LINE, "open")
    orders = staged.frames["orders"].join(open_lines, on=LINE).with_columns(quantity="open")
    frames = {k: staged.frames[k] for k in PLANNED} | {"orders": orders.drop("open")}
    inputs = AllocationInputs(available_to_promise=pl.DataFrame(), **frames)
    prep = prepare(inputs, settings)
    lines = prep.lines.filter(pl.col("known_sku"))
    if lines.is_empty():
        return pl.DataFrame(
            schema={"node_id": pl.String, "sku": pl.String, "open_demand": pl.Int64}
        )
    pairs = flagged_pairs(lines, prep, settings, atp=None)
    usable = pairs.filter(pl.col("mode_ok") & pl.col("reachable") & pl.col("allowed"))
    return usable.group_by(NODE_SKU).agg(open_demand=pl.col("quantity").sum())


def inventory_position(
    book: OrderBook, staged: Staged, settings: AllocationSettings, day: date
) -> pl.DataFrame:
    """``POSITION_SCHEMA`` per node x sku with a snapshot, supply or open demand."""
    inventory, _ = net_available(
        staged.frames["stock"],
        book,
        staged.events,
        staged.frames.get("supply"),
        day=day,
        zone=settings.business_timezone,
    )
    instructed = book.commitments.group_by(NODE_SKU).agg(instructed_open=pl.col("open").sum())
    counts = [c for c, t in POSITION_SCHEMA.items() if t == pl.Int64()]
    return (
        inventory.join(instructed, on=NODE_SKU, how="full", coalesce=True)
        .join(open_demand(book, staged, settings), on=NODE_SKU, how="full", coalesce=True)
        .with_columns(pl.col(c).fill_null(0) for c in counts if c != "snapshot_at")
        .select(list(POSITION_SCHEMA))
        .cast(POSITION_SCHEMA)
        .sort(NODE_SKU)
    )


def position_breaks(position: pl.DataFrame) -> pl.DataFrame:
    """Rows that do not reconcile: ATP is not on hand less what is held, committed and
    rejected since the snapshot; open instructions exceed what is committed against the
    snapshot and the supply together; or more supply is free than is on its way and not
    promised. Empty when the position is sound."""
    free = (
        pl.col("on_hand")
        - pl.col("reserved")
        - pl.col("safety_stock")
        - pl.col("committed")
        - pl.col("rejected_since")
    ).clip(lower_bound=0)
    supply_left = (pl.col("in_transit") + pl.col("on_order") - pl.col("supply_committed")).clip(
        lower_bound=0
    )
    return position.filter(
        (pl.col("available_to_promise") != free)
        | (pl.col("instructed_open") > pl.col("committed") + pl.col("supply_committed"))
        | (pl.col("supply_available") > supply_left)
    )


def daily_utilization(book: OrderBook, nodes: pl.DataFrame) -> pl.DataFrame:
    """``UTILIZATION_SCHEMA``: per node and business day with published work."""
    per_day = used_per_day(book.commitments).rename(
        {
            "used_units": "units_shipped",
            "used_orders": "orders_shipped",
            "used_pickups": "pickup_orders",
        }
    )
    caps = nodes.select("node_id", *CAPACITY_COLUMNS)
    return (
        per_day.join(caps, on="node_id", how="left")
        .with_columns(
            unit_utilization=pl.when(pl.col("ship_capacity_units") > 0).then(
                pl.col("units_shipped") / pl.col("ship_capacity_units")
            )
        )
        .select(list(UTILIZATION_SCHEMA))
        .cast(UTILIZATION_SCHEMA)
        .sort("node_id", "business_day")
    )
