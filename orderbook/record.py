"""A wave's plan written into the order book: new commitments, events, line states.

Parcel ids are made unique across waves first: a unit sourced in a later wave travels in a
new parcel, numbered after the parcels earlier waves sent for that order, node and service.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

import polars as pl

from contracts.results import COMMITMENT_SCHEMA, LINE_EVENT_SCHEMA
from contracts.vocabulary import LineEvent
from optimizers.types import AllocationResult
from orderbook.state import LINE, OrderBook, events_frame, refreshed
from orderbook.supply import arrival_day

PARCEL_KEY = ["order_id", "node_id", "service_level"]


@dataclass(frozen=True)
class Recorded:
    """The book after the wave and the wave's instruction events."""

    book: OrderBook
    events: pl.DataFrame
    plan: AllocationResult  # the plan with wave-unique parcel ids


def _parcel_numbers(book: OrderBook) -> pl.DataFrame:
    """Parcels already sent per (order, node, service), to number new ones after them."""
    return (
        book.commitments.filter(pl.col("parcel_id").is_not_null())
        .group_by(PARCEL_KEY)
        .agg(sent=pl.col("parcel_id").n_unique())
    )


def renumbered(plan: AllocationResult, book: OrderBook) -> AllocationResult:
    """The plan with parcel ids ``{order}-{node}-{service}-{n}`` counted on from earlier waves
    (the first wave keeps the optimizer's own numbering)."""
    parcels = plan.parcels
    if parcels.is_empty() or book.commitments.is_empty():
        return plan
    new_ids = (
        parcels.select("parcel_id", *PARCEL_KEY)
        .join(_parcel_numbers(book), on=PARCEL_KEY, how="left")
        .with_columns(n=pl.col("parcel_id").rank("dense").over(PARCEL_KEY).cast(pl.Int64))
        .select(
            "parcel_id",
            new_id=pl.format("{}-{}-{}-{}", *PARCEL_KEY, pl.col("n") + pl.col("sent").fill_null(0)),
        )
    )
    mapping = dict(zip(new_ids["parcel_id"], new_ids["new_id"], strict=True))

    def renamed(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.with_columns(
            pl.col("parcel_id").replace(mapping) if "parcel_id" in frame.columns else []
        )

    return replace(plan, allocations=renamed(plan.allocations), parcels=renamed(parcels))


def ship_day(day: date, zone: str) -> pl.Expr:
    """The business day an allocation ships: the wave's, or for supply the day it arrives
    as the optimizer counted it (``orderbook.supply.arrival_day``)."""
    return (
        pl.when(pl.col("available_at").is_null())
        .then(pl.lit(day, pl.Date))
        .otherwise(arrival_day(day, zone, "available_at"))
    )


def record_plan(
    book: OrderBook,
    plan: AllocationResult,
    run_id: str,
    at: datetime,
    day: date,
    zone: str = "UTC",
) -> Recorded:
    """New commitments from the plan's allocations, ``instructed`` and ``backordered`` events,
    the lines refreshed."""
    plan = renumbered(plan, book)
    fills = plan.allocations.filter(pl.col("quantity") > 0)
    new = fills.select(
        pl.lit(run_id).alias("run_id"),
        *LINE,
        "sku",
        "node_id",
        "fulfillment_method",
        "parcel_id",
        "service_level",
        "destination_node_id",
        "quantity",
        shipped=pl.lit(0, pl.Int64),
        rejected=pl.lit(0, pl.Int64),
        cancelled=pl.lit(0, pl.Int64),
        open="quantity",
        instructed_at=pl.lit(at, COMMITMENT_SCHEMA["instructed_at"]),
        business_day=ship_day(day, zone),
        available_at="available_at",
    ).cast(COMMITMENT_SCHEMA)
    commitments = pl.concat([book.commitments, new])
    stamp = pl.lit(at, LINE_EVENT_SCHEMA["at"])
    instructed = fills.select(
        stamp.alias("at"),
        pl.lit(run_id).alias("run_id"),
        *LINE,
        "sku",
        "node_id",
        pl.lit(LineEvent.INSTRUCTED.value).alias("event"),
        "quantity",
    )
    backordered = (
        plan.backorders.group_by(*LINE, "sku")
        .agg(pl.col("quantity").sum())
        .select(
            stamp.alias("at"),
            pl.lit(run_id).alias("run_id"),
            *LINE,
            "sku",
            pl.lit(LineEvent.BACKORDERED.value).alias("event"),
            "quantity",
        )
    )
    lines = refreshed(book.lines, commitments, at)
    events = pl.concat([events_frame(instructed), events_frame(backordered)]).sort(
        "event", *LINE, "node_id", nulls_last=True
    )
    return Recorded(OrderBook(lines, commitments.sort(LINE)), events, plan)
