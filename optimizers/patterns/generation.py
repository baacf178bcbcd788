"""Column generation over order patterns (Dantzig-Wolfe), with the bound it proves.

Each round prices every order exactly (``pricing``) and adds the patterns whose reduced cost
is negative; the master LP (``master``) then gives new prices. At any prices p >= 0,

    L(p) = offset + Σ_orders min_pattern (cost + p·use) - Σ_rows p·capacity

is a lower bound on every plan (weak duality over the orders' own constraints, which the
patterns satisfy exactly), so the best L seen is a bound valid for the whole problem: every
candidate of every order is priced, none is left out. The rounds stop when the master LP and
the bound meet (``tolerance``), when no pattern improves, or after ``max_rounds`` rounds:
on work done, so the same inputs stop at the same place. The time limit is only a safety net.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from optimizers.patterns.columns import (
    CouplingRows,
    Patterns,
    Prices,
    empty_patterns,
    pattern_costs,
    patterns_from_take,
)
from optimizers.patterns.master import Master, MasterSolution
from optimizers.patterns.pricing import Priced, price_orders
from optimizers.patterns.problem import OrderProblems

MAX_ROUNDS = 40
# Up to this many coupling rows in the master, rounds re-solve by dual simplex from the last
# basis; above, by interior point (measured on 20k-line waves: simplex 0.1-0.3 s a round with
# 1,100 rows, 20-30 s with 3,800 where interior point takes 1.5-3.5 s).
SIMPLEX_ROWS = 2_000


@dataclass(frozen=True)
class Generation:
    """The master after the last round, the best bound and the prices that gave it."""

    master: Master
    solution: MasterSolution
    bound: float  # best Lagrangian bound, offset included
    prices: Prices  # at the best bound
    lp: float  # the last master LP's objective, offset included
    rounds: int
    cut_orders: int  # orders whose pricing search was cut at the bound's prices
    seconds: float


def lagrangian_bound(
    op: OrderProblems, rows: CouplingRows, prices: Prices, priced: Priced
) -> float:
    """Valid at any prices >= 0: every order's cheapest pattern at those prices (over all its
    candidates, pruned ones too), less what the prices charge for the capacities."""
    lower = np.minimum(priced.lower, op.pruned_lower(prices.rate(op)))
    return op.offset + float(lower.sum()) - prices.charge(rows)


def generate(
    op: OrderProblems,
    rows: CouplingRows,
    start: list[Patterns],
    tolerance: float,
    time_limit: float,
    threads: int = 1,
    max_rounds: int = MAX_ROUNDS,
) -> Generation:
    """Rounds of pricing and master solves from the ``start`` patterns (plus every order's
    empty pattern) until the master LP is within ``tolerance`` (relative) of the bound."""
    t0 = time.perf_counter()
    master = Master(op, rows, threads)
    for pats in [empty_patterns(op), *start]:
        master.add(pats, pattern_costs(op, pats))
    zero = Prices.of_rows(rows, np.zeros(rows.n))
    priced = price_orders(op, zero.rate(op), zero.pair_ship(op))
    best, best_prices, cut = lagrangian_bound(op, rows, zero, priced), zero, int(priced.cut.sum())
    first = patterns_from_take(op, priced.take, np.arange(op.n_orders))
    master.add(first, pattern_costs(op, first))
    master.separate_by(first.n)
    sol = master.solve()
    if master.n_lp_rows - op.n_orders <= SIMPLEX_ROWS:
        master.vertex()  # few coupling rows: warm dual simplex beats interior point
    lp, rounds = sol.objective + op.offset, 1
    while rounds < max_rounds and time.perf_counter() - t0 < time_limit:
        if lp - best <= tolerance * max(abs(lp), 1.0):
            break
        at = Prices.of_rows(rows, sol.row_price)
        priced = price_orders(op, at.rate(op), at.pair_ship(op))
        bound = lagrangian_bound(op, rows, at, priced)
        if bound > best:
            best, best_prices, cut = bound, at, int(priced.cut.sum())
        found = patterns_from_take(op, priced.take, np.arange(op.n_orders))
        costs = pattern_costs(op, found)
        keep = np.flatnonzero(master.reduced_costs_of(found, costs, sol) < -1e-6)
        if len(keep) == 0:
            break  # nothing prices out at the LP's own duals: the master LP is optimal
        master.add(found.take(keep), costs[keep])
        master.separate_by(len(keep), sol.value)
        sol = master.solve()
        lp, rounds = sol.objective + op.offset, rounds + 1
    return Generation(master, sol, best, best_prices, lp, rounds, cut, time.perf_counter() - t0)
