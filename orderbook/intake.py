"""New and amended order lines into the order book.

A line is new when the book has never seen it (``received``). A line is amended when staging
holds another version of it than the one the book applied (``order_version`` is the staged
row's file and row: a re-sent identical row is a duplicate and never staged again):
- only the quantity changed: more units become open; fewer cancel the difference, open units
  first, then instructed units newest first (a cancel instruction to their node);
- anything else changed (sku, ship-to, service, pickup store...): every instructed unit is
  cancelled at its node and the line is sourced anew.
Shipped units stay shipped: a quantity below them is kept at what shipped (``already_shipped``
in the file's acknowledgement).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from contracts.reading import ROW_NUMBER, SOURCE_FILE
from contracts.results import LINE_EVENT_SCHEMA, LINE_STATUS_SCHEMA
from contracts.tables import STAGING_SCHEMAS
from contracts.vocabulary import LineEvent
from orderbook.commitments import consume
from orderbook.state import LINE, OrderBook, events_frame

CONTENT = [c for c in STAGING_SCHEMAS["orders"] if c not in ("quantity", *LINE)]


@dataclass(frozen=True)
class OrderChanges:
    """The book with this wave's new and amended lines, what happened, what was cancelled."""

    book: OrderBook
    events: pl.DataFrame
    cancelled: pl.DataFrame  # commitments rows with ``take``: instructed units cancelled
    clamped: pl.DataFrame  # source_file, row_number, order_id, line_no, kept (units shipped)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def versioned(orders: pl.DataFrame) -> pl.DataFrame:
    """Staged order lines with their version (file#row) and the digest of their content
    apart from the quantity (stable across Polars versions: sha256 of the text)."""
    text = pl.concat_str(
        [pl.col(c).cast(pl.String).fill_null("\u2205") for c in CONTENT], separator="\x1f"
    )
    return orders.with_columns(
        order_version=pl.format("{}#{}", pl.col(SOURCE_FILE), pl.col(ROW_NUMBER)),
        content_key=text.map_elements(_digest, return_dtype=pl.String),
    )


def apply_orders(book: OrderBook, orders: pl.DataFrame, run_id: str, at: datetime) -> OrderChanges:
    """The staged order lines (staging shape with lineage) applied to the book."""
    staged = orders.select(*LINE, "sku", "quantity", SOURCE_FILE, ROW_NUMBER)
    current = book.lines.select(*LINE, "order_version")
    seen = staged.with_columns(
        order_version=pl.format("{}#{}", pl.col(SOURCE_FILE), pl.col(ROW_NUMBER))
    ).join(current, on=LINE, how="left", suffix="_book")
    new_keys = seen.filter(pl.col("order_version_book").is_null()).select(LINE)
    changed_keys = seen.filter(
        pl.col("order_version_book").is_not_null()
        & (pl.col("order_version") != pl.col("order_version_book"))
    ).select(LINE)
    touched = versioned(orders.join(pl.concat([new_keys, changed_keys]), on=LINE, how="semi"))
    stamp = pl.lit(at, LINE_STATUS_SCHEMA["updated_at"])
    new = touched.join(new_keys, on=LINE, how="semi")
    new_lines = new.select(
        *LINE,
        "sku",
        ordered="quantity",
        cancelled=pl.lit(0, pl.Int64),
        shipped=pl.lit(0, pl.Int64),
        instructed_open=pl.lit(0, pl.Int64),
        open="quantity",
        state=pl.lit("open"),
        updated_at=stamp,
        order_version="order_version",
        content_key="content_key",
    )
    events = [_events(new, run_id, at, LineEvent.RECEIVED, pl.col("quantity"))]
    amended = touched.join(changed_keys, on=LINE, how="semi").join(
        book.lines, on=LINE, suffix="_book"
    )
    lines, commitments, cancelled, clamped, more = _amend(book, amended, run_id, at)
    events.extend(more)
    kept = book.lines.join(amended.select(LINE), on=LINE, how="anti")
    all_lines = pl.concat([kept, new_lines.select(list(LINE_STATUS_SCHEMA)), lines])
    return OrderChanges(
        OrderBook(all_lines.sort(LINE), commitments), pl.concat(events), cancelled, clamped
    )


def _events(
    rows: pl.DataFrame,
    run_id: str,
    at: datetime,
    event: str,
    quantity: pl.Expr,
    node: pl.Expr | None = None,
) -> pl.DataFrame:
    return events_frame(
        rows.select(
            pl.lit(at, LINE_EVENT_SCHEMA["at"]).alias("at"),
            pl.lit(run_id).alias("run_id"),
            pl.col(SOURCE_FILE).alias("source_file"),
            *LINE,
            "sku",
            (node if node is not None else pl.lit(None, pl.String)).alias("node_id"),
            pl.lit(event).alias("event"),
            quantity.cast(pl.Int64).alias("quantity"),
        ).filter(pl.col("quantity") != 0)
    )


def _amend(book: OrderBook, amended: pl.DataFrame, run_id: str, at: datetime):
    """Amended lines: (their new status rows, commitments, cancelled instructions, clamped
    rows, events)."""
    same = pl.col("content_key") == pl.col("content_key_book")
    delta = pl.col("quantity") - pl.col("ordered")
    # Units to take back from the nodes: all of them when the content changed, else what a
    # lower quantity cannot take from the open units.
    plan = amended.with_columns(
        cancel_nodes=pl.when(same)
        .then(
            pl.min_horizontal(
                (-delta - pl.col("open")).clip(lower_bound=0), pl.col("instructed_open")
            )
        )
        .otherwise(pl.col("instructed_open")),
    )
    wanted = plan.filter(pl.col("cancel_nodes") > 0).select(*LINE, wanted="cancel_nodes")
    commitments, cancelled = consume(book.commitments, wanted, LINE, "cancelled", True)
    floor = pl.col("cancelled") + pl.col("shipped")
    # A lower quantity lowers ``ordered`` (the line's ``cancelled`` counts cancellations only);
    # open units are recounted from it once the book is refreshed.
    lines = plan.with_columns(
        ordered=pl.max_horizontal(pl.col("quantity"), floor),
        updated_at=pl.lit(at, LINE_STATUS_SCHEMA["updated_at"]),
    )
    clamped = lines.filter(pl.col("quantity") < floor).select(
        SOURCE_FILE, ROW_NUMBER, *LINE, kept=floor
    )
    events = [
        _events(
            plan,
            run_id,
            at,
            LineEvent.AMENDED,
            pl.when(same).then(delta).otherwise(pl.col("quantity")),
        ),
        events_frame(
            cancelled.join(amended.select(*LINE, SOURCE_FILE), on=LINE).select(
                pl.lit(at, LINE_EVENT_SCHEMA["at"]).alias("at"),
                pl.lit(run_id).alias("run_id"),
                pl.col(SOURCE_FILE).alias("source_file"),
                *LINE,
                "sku",
                "node_id",
                pl.lit(LineEvent.CANCEL_INSTRUCTED.value).alias("event"),
                pl.col("take").alias("quantity"),
            )
        ),
    ]
    status = lines.select(
        *LINE,
        "sku",
        "ordered",
        "cancelled",
        "shipped",
        "instructed_open",
        "open",
        "state",
        "updated_at",
        "order_version",
        "content_key",
    )
    return status, commitments, cancelled, clamped, events
