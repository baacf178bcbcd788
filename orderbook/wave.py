"""One wave, as pure steps: take in what partners sent, say what may be planned, record it.

``take_in``: shipments, rejections, new and amended order lines, cancellations, applied to the
published book in that order. ``wave_inputs``: the optimizer's inputs for the lines' open
units only, with ATP, capacities and parcels net of the book. ``record_plan``
(``orderbook.record``): the plan's commitments and events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import polars as pl

from contracts.results import LINE_EVENT_SCHEMA
from contracts.tables import ATP_SCHEMA, STAGING_SCHEMAS
from optimizers.types import AllocationInputs
from orderbook.feedback import OUTCOME_SCHEMA, apply_cancellations, apply_node_feedback
from orderbook.intake import apply_orders
from orderbook.netting import (
    capacity_left,
    net_available,
    parcels_sent,
    rejecting_nodes,
    supply_capacity_left,
)
from orderbook.state import LINE, OrderBook, refreshed

PLANNED = ("orders", "nodes", "products", "rates", "lanes", "exclusions")


@dataclass(frozen=True)
class Staged:
    """What staging holds for a wave (staging shapes with lineage), and what was applied."""

    frames: dict[str, pl.DataFrame]  # every kind, all current rows
    unapplied: dict[str, pl.DataFrame]  # feedback kinds: rows no published wave applied yet
    applied_keys: dict[str, pl.Series] = field(default_factory=dict)  # feedback keys applied
    events: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=LINE_EVENT_SCHEMA))


@dataclass(frozen=True)
class TakenIn:
    """The book after this wave's intake, and everything the intake did."""

    book: OrderBook
    events: pl.DataFrame
    feedback: pl.DataFrame  # FEEDBACK_SCHEMA
    cancelled: pl.DataFrame  # commitments with ``take``: units this wave cancels at a node
    clamped: pl.DataFrame  # order rows whose lower quantity could not go below what shipped


def _keys(staged: Staged, kind: str) -> pl.Series:
    return staged.applied_keys.get(kind, pl.Series("feedback_key", [], pl.String))


def take_in(book: OrderBook, staged: Staged, run_id: str, at: datetime) -> TakenIn:
    """Apply the wave's intake to the book, facts before requests."""
    events, outcomes, cancelled = [], [], []
    for kind in ("shipments", "rejections"):
        applied = apply_node_feedback(
            book, staged.unapplied[kind], kind, _keys(staged, kind), run_id
        )
        book = applied.book
        events.append(applied.events)
        outcomes.append(applied.outcomes)
    orders = apply_orders(book, staged.frames["orders"], run_id, at)
    book = OrderBook(
        refreshed(orders.book.lines, orders.book.commitments, at), orders.book.commitments
    )
    events.append(orders.events)
    cancelled.append(orders.cancelled)
    cancels = apply_cancellations(
        book, staged.unapplied["cancellations"], _keys(staged, "cancellations"), run_id, at
    )
    book = OrderBook(
        refreshed(cancels.book.lines, cancels.book.commitments, at), cancels.book.commitments
    )
    events.append(cancels.events)
    outcomes.append(cancels.outcomes)
    cancelled.append(cancels.cancelled)
    return TakenIn(
        book=book,
        events=pl.concat([e for e in events if e.height] or [events[0]]),
        feedback=pl.concat(outcomes) if outcomes else pl.DataFrame(schema=OUTCOME_SCHEMA),
        cancelled=pl.concat(cancelled),
        clamped=orders.clamped,
    )


@dataclass(frozen=True)
class WaveInputs:
    """The optimizer's inputs for the wave and the stock they were netted from."""

    inputs: AllocationInputs
    inventory: pl.DataFrame  # INVENTORY_SCHEMA: per node x sku, snapshot to ATP, supply
    units_open: int


def wave_inputs(taken: TakenIn, staged: Staged, day: date, zone: str = "UTC") -> WaveInputs:
    """Open units of every line, against ATP, supply, the day's capacities (and those of
    the days supply arrives) and parcels, net of the book."""
    book = taken.book
    events = pl.concat([staged.events, taken.events.select(list(LINE_EVENT_SCHEMA))])
    supply = staged.frames.get("supply")
    inventory, free_supply = net_available(
        staged.frames["stock"], book, events, supply, day=day, zone=zone
    )
    open_lines = book.lines.filter(pl.col("open") > 0).select(*LINE, "open")
    orders = (
        staged.frames["orders"]
        .join(open_lines, on=LINE)
        .with_columns(quantity=pl.col("open"))
        .select(list(STAGING_SCHEMAS["orders"]))
    )
    frames = {k: staged.frames[k].select(list(STAGING_SCHEMAS[k])) for k in PLANNED}
    frames["orders"] = orders
    nodes = frames["nodes"]
    frames["nodes"] = capacity_left(nodes, book, day)
    inputs = AllocationInputs(
        **frames,
        available_to_promise=inventory.select(list(ATP_SCHEMA)),
        line_exclusions=rejecting_nodes(book),
        parcels_sent=parcels_sent(book),
        supply=free_supply,
        supply_capacity=supply_capacity_left(nodes, book, day, free_supply),
    )
    return WaveInputs(inputs, inventory, int(orders["quantity"].sum() or 0))
