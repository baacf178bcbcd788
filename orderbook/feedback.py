"""Partner feedback applied to the order book: shipments, rejections, cancellations.

Rows are applied in the order partners sent them (file order, then row order), facts before
requests: shipments, then rejections, then (after the orders) cancellations. A row that
contradicts the book is not applied and says why (``vocabulary.FeedbackRule``): confirming or
refusing more units than the node holds open on the line (``not_instructed``), a line the
book does not know (``unknown_line``), a key an earlier wave applied (``already_applied``).
Cancelling shipped units is impossible (that is a return): that part is ``already_shipped``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from contracts.fields import CONTRACT
from contracts.results import FEEDBACK_SCHEMA, LINE_EVENT_SCHEMA
from contracts.tables import KEYS
from contracts.vocabulary import FeedbackRule, LineEvent
from orderbook.commitments import consume
from orderbook.state import LINE, LINE_NODE, OrderBook

APPLIED, PARTLY, REJECTED = "applied", "partly_applied", "rejected"
# Outcomes carry the row's file hash and its values (JSON) for quarantine, beyond the table's.
OUTCOME_SCHEMA = pl.Schema({**FEEDBACK_SCHEMA, "file_sha256": pl.String(), "record": pl.String()})
_TIME = {"shipments": "shipped_at", "rejections": "rejected_at", "cancellations": "cancelled_at"}
_EVENT = {"shipments": LineEvent.SHIPPED, "rejections": LineEvent.REJECTED}
_INTO = {"shipments": "shipped", "rejections": "rejected"}


@dataclass(frozen=True)
class Applied:
    """The book after some feedback, the events it caused, and what became of each row."""

    book: OrderBook
    events: pl.DataFrame
    outcomes: pl.DataFrame  # FEEDBACK_SCHEMA
    cancelled: pl.DataFrame  # commitments rows with ``take``: instructed units cancelled


def feedback_key(kind: str) -> pl.Expr:
    """The row's contract key as one string (null parts empty)."""
    return pl.concat_str(
        [pl.col(k).cast(pl.String).fill_null("") for k in KEYS[kind]], separator="|"
    ).alias("feedback_key")


def outcome(
    rows: pl.DataFrame,
    kind: str,
    status: str,
    rule: str | None,
    message: pl.Expr | str,
    applied: pl.Expr | int,
) -> pl.DataFrame:
    """Outcome rows (FEEDBACK_SCHEMA) for feedback rows."""
    message = pl.lit(message) if isinstance(message, str) else message
    applied = pl.lit(applied) if isinstance(applied, int) else applied
    record = pl.struct([pl.col(f.name) for f in CONTRACT[kind]]).struct.json_encode()
    return rows.select(
        pl.lit(kind).alias("kind"),
        "source_file",
        "row_number",
        feedback_key(kind),
        pl.lit(status).alias("status"),
        pl.lit(rule, pl.String).alias("rule"),
        message.cast(pl.String).alias("message"),
        applied.cast(pl.Int64).alias("quantity_applied"),
        pl.col("file_sha256"),
        record.alias("record"),
    )


def _refused_keys(rows: pl.DataFrame, kind: str, applied_keys: pl.Series) -> pl.Series:
    """Row numbers whose key an earlier wave applied already."""
    keyed = rows.with_columns(feedback_key(kind))
    return keyed.filter(pl.col("feedback_key").is_in(applied_keys.implode()))["row_number"]


def _fits(rows: pl.DataFrame, pools: pl.DataFrame) -> pl.DataFrame:
    """Per row: whether it fits the node's open units on the line, in sequence (a row that does
    not fit is skipped and the next rows are tried against what is left)."""
    joined = rows.join(pools, on=LINE_NODE, how="left").with_columns(pl.col("pool").fill_null(0))
    simple = (
        joined.sort("_seq")
        .with_columns(cum=pl.col("quantity").cum_sum().over(LINE_NODE))
        .with_columns(over=(pl.col("cum") > pl.col("pool")).any().over(LINE_NODE))
    )
    fits = simple.filter(~pl.col("over")).with_columns(fits=pl.lit(True))
    tangled = simple.filter(pl.col("over")).sort("_seq")
    decided: list[bool] = []
    left: dict[tuple, int] = {}
    for key, pool, quantity in zip(
        tangled.select(LINE_NODE).iter_rows(), tangled["pool"], tangled["quantity"], strict=True
    ):  # only lines whose rows over-ask: rare, and the order of rows matters there
        room = left.get(key, pool)
        decided.append(quantity <= room)
        left[key] = room - quantity if quantity <= room else room
    tangled = tangled.with_columns(fits=pl.Series(decided, dtype=pl.Boolean))
    return pl.concat([fits, tangled]).sort("_seq").drop("cum", "over")


def apply_node_feedback(
    book: OrderBook, rows: pl.DataFrame, kind: str, applied_keys: pl.Series, run_id: str
) -> Applied:
    """Shipments or rejections (``kind``): each row takes units out of the line's open
    commitments at its node, oldest first."""
    if rows.is_empty():
        return Applied(book, _no_events(), pl.DataFrame(schema=OUTCOME_SCHEMA), _none_taken(book))
    rows = rows.with_row_index("_seq")
    refused = _refused_keys(rows, kind, applied_keys)
    known = book.lines.select(LINE)
    unknown = rows.join(known, on=LINE, how="anti")
    fresh = rows.filter(~pl.col("row_number").is_in(refused.implode())).join(
        known, on=LINE, how="semi"
    )
    pools = book.commitments.group_by(LINE_NODE).agg(pool=pl.col("open").sum())
    judged = _fits(fresh, pools)
    accepted, overflow = judged.filter("fits"), judged.filter(~pl.col("fits"))
    wanted = accepted.group_by(LINE_NODE).agg(wanted=pl.col("quantity").sum())
    commitments, _ = consume(book.commitments, wanted, LINE_NODE, _INTO[kind])
    at = pl.col(_TIME[kind])
    events = accepted.join(book.lines.select(*LINE, "sku"), on=LINE).select(
        at.alias("at"),
        pl.lit(run_id).alias("run_id"),
        "source_file",
        *LINE,
        "sku",
        "node_id",
        pl.lit(_EVENT[kind].value).alias("event"),
        "quantity",
    )
    outcomes = pl.concat(
        [
            outcome(accepted, kind, APPLIED, None, "applied", pl.col("quantity")),
            outcome(
                overflow,
                kind,
                REJECTED,
                FeedbackRule.NOT_INSTRUCTED,
                pl.format(
                    "the node holds {} open unit(s) of this line, fewer than {}",
                    pl.col("pool"),
                    pl.col("quantity"),
                ),
                0,
            ),
            outcome(
                unknown,
                kind,
                REJECTED,
                FeedbackRule.UNKNOWN_LINE,
                "no such order line in the order book",
                0,
            ),
            outcome(
                rows.filter(pl.col("row_number").is_in(refused.implode())),
                kind,
                REJECTED,
                FeedbackRule.ALREADY_APPLIED,
                "an earlier wave applied a row with this key; send a new key",
                0,
            ),
        ]
    )
    return Applied(OrderBook(book.lines, commitments), events, outcomes, _none_taken(book))


def _no_events() -> pl.DataFrame:
    return pl.DataFrame(schema=LINE_EVENT_SCHEMA)


def _none_taken(book: OrderBook) -> pl.DataFrame:
    return book.commitments.head(0).with_columns(take=pl.lit(0, pl.Int64))


def apply_cancellations(
    book: OrderBook, rows: pl.DataFrame, applied_keys: pl.Series, run_id: str, at: datetime
) -> Applied:
    """Cancellations, row by row (they are few and later rows see what earlier ones left):
    open units first, then instructed units newest first; shipped units cannot be."""
    if rows.is_empty():
        return Applied(book, _no_events(), pl.DataFrame(schema=OUTCOME_SCHEMA), _none_taken(book))
    kind = "cancellations"
    refused = set(_refused_keys(rows, kind, applied_keys).to_list())
    lines = {(r["order_id"], r["line_no"]): dict(r) for r in book.lines.iter_rows(named=True)}
    by_order: dict[str, list[int]] = {}
    for order_id, line_no in lines:
        by_order.setdefault(order_id, []).append(line_no)
    commitments = book.commitments
    events, outcomes, taken_parts = [], [], []
    for row in rows.iter_rows(named=True):
        one = pl.DataFrame([row], schema=rows.schema)
        if row["row_number"] in refused:
            outcomes.append(
                outcome(
                    one,
                    kind,
                    REJECTED,
                    FeedbackRule.ALREADY_APPLIED,
                    "an earlier wave applied a row with this key",
                    0,
                )
            )
            continue
        targets = (
            sorted(by_order.get(row["order_id"], []))
            if row["line_no"] is None
            else [row["line_no"]]
            if (row["order_id"], row["line_no"]) in lines
            else []
        )
        if not targets:
            outcomes.append(
                outcome(
                    one,
                    kind,
                    REJECTED,
                    FeedbackRule.UNKNOWN_LINE,
                    "no such order line in the order book",
                    0,
                )
            )
            continue
        applied, short = 0, 0
        for line_no in targets:
            line = lines[(row["order_id"], line_no)]
            cancellable = line["open"] + line["instructed_open"]
            want = cancellable if row["quantity"] is None else row["quantity"]
            short += max(0, want - cancellable) + (
                line["shipped"] if row["quantity"] is None else 0
            )
            from_open = min(want, line["open"])
            from_nodes = min(want - from_open, line["instructed_open"])
            base = {
                "at": row["cancelled_at"],
                "run_id": run_id,
                "source_file": row["source_file"],
                "order_id": row["order_id"],
                "line_no": line_no,
                "sku": line["sku"],
            }
            if from_open:
                events.append(
                    {
                        **base,
                        "node_id": None,
                        "event": LineEvent.CANCELLED.value,
                        "quantity": from_open,
                    }
                )
            if from_nodes:
                wanted = pl.DataFrame(
                    {"order_id": [row["order_id"]], "line_no": [line_no], "wanted": [from_nodes]}
                )
                commitments, taken = consume(commitments, wanted, LINE, "cancelled", True)
                taken_parts.append(taken)
                events.extend(
                    {
                        **base,
                        "node_id": t["node_id"],
                        "event": LineEvent.CANCEL_INSTRUCTED.value,
                        "quantity": t["take"],
                    }
                    for t in taken.iter_rows(named=True)
                )
            line["cancelled"] += from_open + from_nodes
            line["open"] -= from_open
            line["instructed_open"] -= from_nodes
            if from_open or from_nodes:
                line["updated_at"] = at
            applied += from_open + from_nodes
        status, rule = (PARTLY, FeedbackRule.ALREADY_SHIPPED) if short else (APPLIED, None)
        message = f"{short} unit(s) already shipped or not there to cancel" if short else "applied"
        outcomes.append(outcome(one, kind, status, rule, message, applied))
    new_lines = pl.DataFrame(list(lines.values()), schema=book.lines.schema)
    return Applied(
        OrderBook(new_lines, commitments),
        pl.DataFrame(events, schema=_no_events().schema) if events else _no_events(),
        pl.concat(outcomes),
        pl.concat(taken_parts) if taken_parts else _none_taken(book),
    )
