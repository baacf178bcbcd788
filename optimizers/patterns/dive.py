"""The integer step: fix what the master LP settles, solve the contested rest as a MIP.

From a basic solution of the master LP, an order whose pattern is at 1 and uses no row that
a split order also uses is *settled*: it is fixed, and the LP (re-solved warm, with column
generation against what the fixed orders leave) keeps its optimum. What remains is the
contest: the orders the LP splits over scarce stock or capacity, and for each contested row
the few whole orders that could leave it at least cost (``NEAR_USERS``). Those few hundred
orders become a small MIP of their own over their generated patterns, at the capacities the
settled orders leave (HiGHS, node-limited: deterministic). Should the contest be too large
for that, each contested order is placed at its largest LP column where it still fits,
largest values first, and the local search that follows repairs what that costs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optimizers.patterns.columns import CouplingRows, Prices, pattern_costs, patterns_from_take
from optimizers.patterns.local import Room, caps_of, place, use_of
from optimizers.patterns.master import Master, MasterSolution
from optimizers.patterns.pricing import price_orders
from optimizers.patterns.problem import OrderProblems
from optimizers.patterns.submip import solve_contest

WHOLE = 1 - 1e-6
NEAR_USERS = 5  # whole orders kept free per contested row, the cheapest to move
MAX_SETTLE_STEPS = 20
CG_ROUNDS = 3
CONTEST_ORDERS = 4_000  # most orders the contest MIP takes; above, they are placed
CONTEST_GAP_SHARE = 0.1  # of the run's mip_gap, as the contest MIP's own tolerance


@dataclass(frozen=True)
class Dive:
    take: np.ndarray  # per candidate: units of the chosen patterns
    settle_steps: int
    columns_added: int
    whole_at_start: int  # orders whole in the first basic solution
    contested: int  # orders left to the contest
    contest: str  # how the contest was decided: "mip", "placed" or "none"


def _best_columns(
    master: Master, value: np.ndarray, free: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per free order: (order, its column with the largest value, that value)."""
    order = master.column_orders()
    cols = np.flatnonzero(free[order])
    by = cols[np.lexsort((cols, -value[cols], order[cols]))]
    first = np.r_[True, order[by][1:] != order[by][:-1]] if len(by) else np.zeros(0, bool)
    best = by[first]
    return order[best], best, value[best]


def _contested(
    master: Master, sol: MasterSolution, free: np.ndarray, orders, cols, value
) -> np.ndarray:
    """Per best column: is its order split, or among the NEAR_USERS whole orders of a row a
    split order uses that could leave it at least reduced cost?"""
    split = np.zeros(len(free), dtype=bool)
    split[orders[value < WHOLE]] = True
    col, row, _ = master.coupling()
    order_of_col = master.column_orders()
    used = sol.value[col] > 1e-9
    hot = np.zeros(master.rows.n, dtype=bool)
    hot[row[used & (sol.row_price[row] > 1e-9) & split[order_of_col[col]]]] = True
    rc = master.reduced_costs(sol)
    is_best = np.zeros(master.n_cols, dtype=bool)
    is_best[cols] = True
    other = np.flatnonzero(free[order_of_col] & ~is_best)
    leave = np.full(len(free), np.inf)
    np.minimum.at(leave, order_of_col[other], rc[other])
    users = np.flatnonzero(used & hot[row] & is_best[col])
    u_row, u_order = row[users], order_of_col[col[users]]
    ranked = np.lexsort((u_order, leave[u_order], u_row))
    u_row, u_order = u_row[ranked], u_order[ranked]
    starts = np.r_[True, u_row[1:] != u_row[:-1]] if len(u_row) else np.zeros(0, bool)
    idx = np.arange(len(u_row))
    rank = idx - np.maximum.accumulate(np.where(starts, idx, 0))
    near = split.copy()
    near[u_order[rank < NEAR_USERS]] = True
    return near[orders]


def _grow(
    op: OrderProblems,
    rows: CouplingRows,
    master: Master,
    room: Room,
    free: np.ndarray,
    fixed_cols: list[int],
) -> tuple[MasterSolution, int]:
    """Column generation for the free orders against what the fixed ones leave."""
    left = room.copy()
    pats, _ = master.all_patterns()
    use_of(op, pats.take(np.asarray(fixed_cols, dtype=np.int64)), left)
    cap = caps_of(op, left)
    added = 0
    sol = master.solve()
    for _ in range(CG_ROUNDS):
        prices = Prices.of_rows(rows, sol.row_price)
        priced = price_orders(op, prices.rate(op), prices.pair_ship(op), cap=cap, active=free)
        found = patterns_from_take(op, priced.take, np.flatnonzero(free))
        costs = pattern_costs(op, found)
        keep = np.flatnonzero(master.reduced_costs_of(found, costs, sol) < -1e-6)
        if len(keep) == 0:
            break
        master.add(found.take(keep), costs[keep])
        master.separate_by(len(keep), sol.value)
        added += len(keep)
        sol = master.solve()
    return sol, added


def _from_interior(op: OrderProblems, master: Master, room: Room, mip_gap: float) -> Dive:
    """A master solved by interior point: its simplex is too slow to dive with. One vertex
    (crossover), its settled orders fixed, the contest solved as a MIP on the columns so far."""
    master.vertex()
    sol = master.solve()  # interior point with crossover: a vertex, cheap from scratch
    free = np.ones(op.n_orders, dtype=bool)
    orders, cols, value = _best_columns(master, sol.value, free)
    whole = int((value >= WHOLE).sum())
    settled = (value >= WHOLE) & ~_contested(master, sol, free, orders, cols, value)
    fixed_cols = cols[settled].tolist()
    free[orders[settled]] = False
    contested = int(free.sum())
    chosen = None
    if contested <= CONTEST_ORDERS:
        abs_gap = CONTEST_GAP_SHARE * mip_gap * abs(sol.objective + op.offset)
        chosen = solve_contest(master, free, fixed_cols, abs_gap)
    how = "mip" if chosen is not None else "placed"
    if chosen is None:
        chosen = cols[~settled]
    pats, _ = master.all_patterns()
    picked = pats.take(np.concatenate([np.asarray(fixed_cols, dtype=np.int64), chosen]))
    take = picked.units(op.n_cands)
    seq = np.concatenate([orders[settled], orders[~settled]])
    placed = place(op, room.copy(), seq, take)
    return Dive(placed, 0, 0, whole, contested, how)


def dive(op: OrderProblems, rows: CouplingRows, master: Master, room: Room, mip_gap: float) -> Dive:
    """One pattern per order (``master`` is changed on the way); returns their units."""
    if not master.basic:
        return _from_interior(op, master, room, mip_gap)
    sol = master.solve()
    free = np.ones(op.n_orders, dtype=bool)
    fixed_cols: list[int] = []
    added, steps, whole_at_start = 0, 0, -1
    while free.any() and steps < MAX_SETTLE_STEPS:
        orders, cols, value = _best_columns(master, sol.value, free)
        if whole_at_start < 0:
            whole_at_start = int((value >= WHOLE).sum())
        settled = (value >= WHOLE) & ~_contested(master, sol, free, orders, cols, value)
        if not settled.any():
            break
        steps += 1
        master.fix(cols[settled])
        fixed_cols.extend(cols[settled].tolist())
        free[orders[settled]] = False
        if free.any():
            sol, more = _grow(op, rows, master, room, free, fixed_cols)
            added += more
    contested = int(free.sum())
    how = "none"
    if free.any() and contested <= CONTEST_ORDERS:
        abs_gap = CONTEST_GAP_SHARE * mip_gap * abs(sol.objective + op.offset)
        chosen = solve_contest(master, free, fixed_cols, abs_gap)
        if chosen is not None:
            how = "mip"
            fixed_cols.extend(chosen.tolist())
            free[:] = False
    if free.any():  # too many to contest: each free order's largest column, where it fits
        how = "placed"
        orders, cols, value = _best_columns(master, sol.value, free)
        by = np.lexsort((orders, -value))
        pats, _ = master.all_patterns()
        picked = pats.take(np.concatenate([np.asarray(fixed_cols, dtype=np.int64), cols[by]]))
        take = picked.units(op.n_cands)
        seq = np.concatenate([master.column_orders()[fixed_cols], orders[by]])
        placed = place(op, room.copy(), seq.astype(np.int64), take)
        return Dive(placed, steps, added, max(whole_at_start, 0), contested, how)
    pats, _ = master.all_patterns()
    final = pats.take(np.asarray(fixed_cols, dtype=np.int64))
    take = final.units(op.n_cands)
    return Dive(take, steps, added, max(whole_at_start, 0), contested, how)
