"""Taking units out of commitments, in a stated order, without a loop over rows.

Shipments and rejections use a line's commitments at a node oldest first; cancellations take
a line's open instructions newest first (the ones least likely to be picked yet). Each is one
sort, one cumulative sum per key and a clip.
"""

from __future__ import annotations

import polars as pl

ORDER_OF_INSTRUCTION = ["instructed_at", "run_id", "node_id", "fulfillment_method"]


def take_in_order(
    commitments: pl.DataFrame,
    wanted: pl.DataFrame,
    keys: list[str],
    newest_first: bool = False,
) -> pl.DataFrame:
    """Commitments with ``take``: how many of their open units go to ``wanted`` (keys and a
    ``wanted`` column), commitment by commitment in instruction order, never more than open."""
    with_wish = commitments.join(wanted.select(*keys, "wanted"), on=keys, how="left")
    ordered = with_wish.sort([*keys, *ORDER_OF_INSTRUCTION], descending=newest_first)
    before = pl.col("open").cum_sum().over(keys) - pl.col("open")
    take = (pl.col("wanted").fill_null(0) - before).clip(lower_bound=0)
    return ordered.with_columns(take=pl.min_horizontal(take, pl.col("open")).cast(pl.Int64)).drop(
        "wanted"
    )


def consume(
    commitments: pl.DataFrame,
    wanted: pl.DataFrame,
    keys: list[str],
    into: str,
    newest_first: bool = False,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(commitments with the taken units moved from ``open`` to ``into``, the rows taken from
    with their ``take``)."""
    if wanted.is_empty() or commitments.is_empty():
        return commitments, commitments.head(0).with_columns(take=pl.lit(0, pl.Int64))
    taken = take_in_order(commitments, wanted, keys, newest_first)
    moved = taken.with_columns(
        pl.col("open") - pl.col("take"), (pl.col(into) + pl.col("take")).alias(into)
    )
    return moved.drop("take").select(commitments.columns), taken.filter(pl.col("take") > 0)


def open_at(commitments: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Open units per key."""
    return commitments.group_by(keys).agg(pool=pl.col("open").sum())
