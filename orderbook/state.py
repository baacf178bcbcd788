"""The order book: every order line's units, and the instructions holding some of them.

Per line, in units, always: ``ordered = cancelled + shipped + instructed_open + open``, where
``instructed_open`` is the sum of the line's open commitments (units a published wave told a
node to fill that the node has not shipped, rejected or had cancelled). Plain Polars frames of
``contracts.results.LINE_STATUS_SCHEMA`` and ``COMMITMENT_SCHEMA``; no Dagster, no SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from contracts.results import COMMITMENT_SCHEMA, LINE_EVENT_SCHEMA, LINE_STATUS_SCHEMA
from contracts.vocabulary import LineState

LINE = ["order_id", "line_no"]
LINE_NODE = ["order_id", "line_no", "node_id"]
UNITS = ("cancelled", "shipped", "instructed_open", "open")


@dataclass(frozen=True)
class OrderBook:
    """The lines and their commitments (open or not) as a wave finds or leaves them."""

    lines: pl.DataFrame  # LINE_STATUS_SCHEMA
    commitments: pl.DataFrame  # COMMITMENT_SCHEMA

    @classmethod
    def empty(cls) -> OrderBook:
        return cls(pl.DataFrame(schema=LINE_STATUS_SCHEMA), pl.DataFrame(schema=COMMITMENT_SCHEMA))

    def open_units(self) -> int:
        return int(self.lines["open"].sum() or 0)


def state_of() -> pl.Expr:
    """A line's state from its unit columns (first match wins)."""
    nothing_left = (pl.col("open") + pl.col("instructed_open")) == 0
    return (
        pl.when((pl.col("cancelled") == pl.col("ordered")) & (pl.col("ordered") > 0))
        .then(pl.lit(LineState.CANCELLED))
        .when(nothing_left & (pl.col("shipped") > 0))
        .then(pl.lit(LineState.SHIPPED))
        .when(nothing_left & (pl.col("cancelled") > 0))
        .then(pl.lit(LineState.CANCELLED))
        .when(pl.col("shipped") > 0)
        .then(pl.lit(LineState.PARTLY_SHIPPED))
        .when((pl.col("instructed_open") > 0) & (pl.col("open") > 0))
        .then(pl.lit(LineState.PARTLY_INSTRUCTED))
        .when(pl.col("instructed_open") > 0)
        .then(pl.lit(LineState.INSTRUCTED))
        .otherwise(pl.lit(LineState.OPEN))
    )


def _with_committed(lines: pl.DataFrame, commitments: pl.DataFrame) -> pl.DataFrame:
    """Lines with ``committed_open`` and ``committed_shipped``: their commitments' totals."""
    per_line = commitments.group_by(LINE).agg(
        committed_open=pl.col("open").sum(), committed_shipped=pl.col("shipped").sum()
    )
    return lines.join(per_line, on=LINE, how="left").with_columns(
        pl.col("committed_open", "committed_shipped").fill_null(0)
    )


def refreshed(lines: pl.DataFrame, commitments: pl.DataFrame, at: datetime) -> pl.DataFrame:
    """Lines with instructed_open and shipped recounted from the commitments, open =
    ordered - cancelled - shipped - instructed_open, and the state; ``updated_at`` is set
    where anything changed."""
    joined = _with_committed(lines, commitments)
    changed = (pl.col("committed_open") != pl.col("instructed_open")) | (
        pl.col("committed_shipped") != pl.col("shipped")
    )
    out = joined.with_columns(
        instructed_open=pl.col("committed_open"),
        shipped=pl.col("committed_shipped"),
        updated_at=pl.when(changed)
        .then(pl.lit(at, LINE_STATUS_SCHEMA["updated_at"]))
        .otherwise(pl.col("updated_at")),
    ).with_columns(
        open=pl.col("ordered") - pl.col("cancelled") - pl.col("shipped") - pl.col("instructed_open")
    )
    return out.with_columns(state=state_of()).select(list(LINE_STATUS_SCHEMA))


def identity_breaks(book: OrderBook) -> pl.DataFrame:
    """Lines whose units do not add up (or go negative, or disagree with the commitments);
    empty when the book is sound."""
    units_ok = pl.all_horizontal(pl.col(c) >= 0 for c in ("ordered", *UNITS))
    return (
        _with_committed(book.lines, book.commitments)
        .filter(
            (pl.col("ordered") != pl.sum_horizontal(*UNITS))
            | ~units_ok
            | (pl.col("instructed_open") != pl.col("committed_open"))
            | (pl.col("shipped") != pl.col("committed_shipped"))
        )
        .select(*LINE, "ordered", *UNITS, "committed_open", "committed_shipped")
    )


def commitment_breaks(commitments: pl.DataFrame) -> pl.DataFrame:
    """Commitments whose units do not add up or go negative; empty when sound."""
    parts = ("shipped", "rejected", "cancelled", "open")
    return commitments.filter(
        (pl.col("quantity") != pl.sum_horizontal(*parts))
        | ~pl.all_horizontal(pl.col(c) >= 0 for c in parts)
    )


def events_frame(rows: pl.DataFrame) -> pl.DataFrame:
    """Events in the table's shape and column order (missing columns null)."""
    return rows.select(
        pl.col(c).cast(t) if c in rows.columns else pl.lit(None, t).alias(c)
        for c, t in LINE_EVENT_SCHEMA.items()
    )
