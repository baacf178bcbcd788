"""Fill backordered units that some candidate could still take for less than their penalty.

A solve that stops at its gap (or on work done) may leave a unit backordered as "uneconomic"
although, against the plan's end state, a node could still fill it for less than its
backorder penalty: the gap allows it, a planner reading "would cost 10.22 against a penalty
of 12.99" does not, and the next wave would fill it anyway. Each round prices every short
line's candidates against the end state (``plan.backorders.candidate_status``), keeps the best
saving per line, then, best first, only what still fits together: the stock row's and the
node's units left, the node's orders left, one new parcel per order (the parcel limit). Two
fills that open the same parcel or pair are each priced with its cost, so a round's savings
are, if anything, understated. Rounds repeat until nothing saves.
"""

from __future__ import annotations

import polars as pl

from contracts.vocabulary import BackorderReason
from optimizers.candidates import Candidates
from optimizers.model.objective import FILLS_SCHEMA
from optimizers.plan.backorders import candidate_status, plan_state
from optimizers.plan.extract import plan_rows

MAX_ROUNDS = 50
MIN_SAVING = 1e-6
KEEP = ("cand_idx", "line_idx", "atp_idx", "node_idx", "order_idx", "is_ship", "group_open",
        "ships", "rem_atp", "cap_left", "rem_orders", "units", "saving")  # fmt: skip


def _options(c: Candidates, fills: pl.DataFrame) -> pl.DataFrame:
    """Fills that would save money against the plan's end state: cand_idx, units, saving
    and the keys a fill changes the state of."""
    state = plan_state(c, plan_rows(c, fills))
    short = (
        c.lines.filter(pl.col("n_candidates") > 0)
        .join(state.lines, on="line_idx", how="left")
        .with_columns(short=pl.col("quantity") - pl.col("filled").fill_null(0))
        .filter(pl.col("short") > 0)
        .select("line_idx", "short", "unit_price")
    )
    if short.is_empty():
        return pl.DataFrame()
    penalty = c.settings.backorder_penalty
    status = candidate_status(c, state, short.select("line_idx"))
    units = pl.min_horizontal("short", "avail")
    cost = (
        pl.when(pl.col("is_ship") & ~pl.col("group_open")).then("cost_per_package").otherwise(0.0)
        + pl.when(pl.col("pair_open")).then(0.0).otherwise("handling_cost_per_order")
        + pl.col("units") * pl.col("unit_obj")
    )
    return (
        status.filter((pl.col("blocker") == BackorderReason.UNECONOMIC) & (pl.col("avail") > 0))
        .join(short, on="line_idx")
        .with_columns(units=units.cast(pl.Int64))
        .with_columns(saving=pl.col("units") * penalty * pl.col("unit_price") - cost)
        .filter(pl.col("saving") > MIN_SAVING)
        .select(KEEP)
    )


def _fits(best: pl.DataFrame, key: str, used: pl.Expr, room: str) -> pl.DataFrame:
    """Options, best first, while the running total of ``used`` per ``key`` stays in
    ``room`` (null room: no limit)."""
    total = used.cum_sum().over(key)
    return best.filter(pl.col(room).is_null() | (total <= pl.col(room)))


def _together(options: pl.DataFrame) -> pl.DataFrame:
    """The best option per line, then those that fit beside the better ones."""
    best = options.sort(["saving", "cand_idx"], descending=[True, False]).unique(
        "line_idx", keep="first", maintain_order=True
    )
    new_parcel = pl.col("is_ship") & ~pl.col("group_open")
    best = pl.concat(
        [
            best.filter(~new_parcel),
            best.filter(new_parcel).unique("order_idx", keep="first", maintain_order=True),
        ]
    ).sort(["saving", "cand_idx"], descending=[True, False])
    best = _fits(best, "atp_idx", pl.col("units"), "rem_atp")
    ship_units = pl.when(pl.col("is_ship")).then(pl.col("units")).otherwise(0)
    best = _fits(best, "node_idx", ship_units, "cap_left")
    new_pair = (pl.col("is_ship") & ~pl.col("ships")).cast(pl.Int64)
    return _fits(best, "node_idx", new_pair, "rem_orders")


def refill(c: Candidates, fills: pl.DataFrame) -> pl.DataFrame:
    """The plan with every backordered unit a candidate can fill for less than its penalty
    filled (never costlier, never infeasible; same plan in, same plan out)."""
    for _ in range(MAX_ROUNDS):
        options = _options(c, fills)
        if options.is_empty():
            break
        chosen = _together(options).select("cand_idx", quantity="units")
        fills = (
            pl.concat([fills.select("cand_idx", "quantity"), chosen.cast(FILLS_SCHEMA)])
            .group_by("cand_idx")
            .agg(pl.col("quantity").sum())
            .cast(FILLS_SCHEMA)
            .sort("cand_idx")
        )
    return fills
