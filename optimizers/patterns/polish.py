"""Polish an integer plan by local search: single orders, then pairs that share scarce rows.

``improve`` moves one order at a time to its best pattern within what the others leave.
That cannot give a scarce unit to the order that needs it most while another holds it; the
pair exchange can (the "SKU exchange" of Xu, Allgor and Graves, 2009): for every row the
master priced (scarce stock, a full node), orders that wanted it in the master are paired
with the orders that hold it in the plan, and each pair is re-planned both ways round.
Every move keeps every row and never raises the objective; the passes and pairs are fixed by
the data, so the result is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from optimizers.patterns.columns import coefficients, patterns_from_take
from optimizers.patterns.local import Room, exchange, improve, place
from optimizers.patterns.master import Master, MasterSolution
from optimizers.patterns.problem import OrderProblems

PASSES = 3
EXCHANGE_ROUNDS = 2
PAIRS_PER_ROW = 40
WANT_BELOW = 5.0  # reduced cost under which a master column counts as wanting its rows


@dataclass(frozen=True)
class Polished:
    take: np.ndarray
    moves: int
    pair_moves: int
    pairs: int


def _pairs(
    op: OrderProblems, master: Master, sol: MasterSolution, take: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(wanting order, holding order) pairs over the priced rows, up to PAIRS_PER_ROW each."""
    rows = master.rows
    tight = sol.row_price > 1e-9
    plan = patterns_from_take(op, take, np.arange(op.n_orders))
    pat, row, _ = coefficients(op, rows, plan)
    held = tight[row]
    holders = pl.DataFrame({"row": row[held], "holder": plan.order[pat[held]]}).unique()
    col, crow, _ = master.coupling()
    rc = master.reduced_costs(sol)
    wants = tight[crow] & (rc[col] < WANT_BELOW)
    wanters = (
        pl.DataFrame(
            {"row": crow[wants], "wanter": master.column_orders()[col[wants]], "rc": rc[col[wants]]}
        )
        .group_by("row", "wanter")
        .agg(pl.col("rc").min())
    )
    pairs = (
        wanters.join(holders.rename({"holder": "wanter"}), on=["row", "wanter"], how="anti")
        .join(holders, on="row")
        .sort("row", "rc", "wanter", "holder")
        .with_columns(_rank=pl.int_range(pl.len()).over("row"))
        .filter(pl.col("_rank") < PAIRS_PER_ROW)
        .unique(["wanter", "holder"], keep="first", maintain_order=True)
    )
    return pairs["wanter"].to_numpy(), pairs["holder"].to_numpy()


def polish(
    op: OrderProblems, room: Room, take: np.ndarray, master: Master, sol: MasterSolution
) -> Polished:
    """The plan cut to fit (a no-op for a feasible one), then local search (``room`` is used)."""
    take = place(op, room, np.arange(op.n_orders), take)
    moves = improve(op, room, take, np.arange(op.n_orders), PASSES)
    pair_moves, n_pairs = 0, 0
    for _ in range(EXCHANGE_ROUNDS):
        first, second = _pairs(op, master, sol, take)
        n_pairs += len(first)
        done = exchange(op, room, take, first, second)
        pair_moves += done
        if done == 0:
            break
        moves += improve(op, room, take, np.arange(op.n_orders), PASSES)
    return Polished(take, moves, pair_moves, n_pairs)
