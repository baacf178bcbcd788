"""Integer plans from patterns: place orders one by one within what is left, then improve.

``place`` walks the orders in a given sequence and gives each its proposed pattern, cut to
what stock and capacity remain (cheapest units kept). ``improve`` is a local search over
orders: take an order out, price it exactly at true costs against what the others leave
(``pricing._price_one`` with each candidate capped by the remaining stock and capacity), and
keep the new pattern when the order is cheaper with it. Every move keeps every row, so the
plan is feasible after each step, and the objective never rises. Both run in one compiled
loop; the sequence and the work are fixed, so the result is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from optimizers.patterns.columns import Patterns
from optimizers.patterns.pricing import NODE_LIMIT, _price_one
from optimizers.patterns.problem import OrderProblems

BIG = np.int64(2**62)


@dataclass
class Room:
    """What the plan leaves of stock (per atp key), units and orders (per node)."""

    atp: np.ndarray  # int64
    units: np.ndarray  # int64 (BIG = no limit)
    orders: np.ndarray  # int64 (BIG = no limit)

    def copy(self) -> Room:
        return Room(self.atp.copy(), self.units.copy(), self.orders.copy())


def room_of(atp_value: np.ndarray, cap_units: np.ndarray, cap_orders: np.ndarray) -> Room:
    def whole(a: np.ndarray) -> np.ndarray:
        return np.where(np.isfinite(a), np.minimum(a, float(BIG)), float(BIG)).astype(np.int64)

    return Room(whole(atp_value), whole(cap_units), whole(cap_orders))


@numba.njit(cache=True, nogil=True)
def _order_cost(o, take, order_lines, line_cands, qty, bo, group, unit_obj, package, pair,
                handling):  # fmt: skip
    """True cost of order o's pattern in ``take``: units, packages, handling, backorders."""
    lo, hi = order_lines[o], order_lines[o + 1]
    c0, c1 = line_cands[lo], line_cands[hi]
    total = 0.0
    for li in range(lo, hi):
        filled = 0
        for j in range(line_cands[li], line_cands[li + 1]):
            if take[j] > 0:
                total += take[j] * unit_obj[j]
                filled += take[j]
        total += (qty[li] - filled) * bo[li]
    groups = np.empty(c1 - c0, dtype=np.int64)
    n = 0
    for j in range(c0, c1):
        if take[j] > 0:
            groups[n] = group[j]
            n += 1
    groups = np.unique(groups[:n])
    pairs = np.empty(len(groups), dtype=np.int64)
    for i in range(len(groups)):
        total += package[groups[i]]
        pairs[i] = pair[groups[i]]
    for p in np.unique(pairs):
        total += handling[p]
    return total


@numba.njit(cache=True, nogil=True)
def _use(o, take, sign, order_lines, line_cands, atp, node, ship, group, pair, pair_node,
         atp_left, units_left, orders_left):  # fmt: skip
    """Add (sign -1) or give back (sign +1) order o's use of stock and capacity."""
    c0, c1 = line_cands[order_lines[o]], line_cands[order_lines[o + 1]]
    ship_pairs = np.empty(c1 - c0, dtype=np.int64)
    n = 0
    for j in range(c0, c1):
        t = take[j]
        if t > 0:
            atp_left[atp[j]] += sign * t
            if ship[j]:
                if units_left[node[j]] < BIG // 2:
                    units_left[node[j]] += sign * t
                ship_pairs[n] = pair[group[j]]
                n += 1
    for p in np.unique(ship_pairs[:n]):
        nd = pair_node[p]
        if orders_left[nd] < BIG // 2:
            orders_left[nd] += sign


@numba.njit(cache=True, nogil=True)
def _caps(o, order_lines, line_cands, ub, atp, node, ship, atp_left, units_left, orders_left,
          cap):  # fmt: skip
    """Each of order o's candidates capped by what is left."""
    for j in range(line_cands[order_lines[o]], line_cands[order_lines[o + 1]]):
        c = min(ub[j], atp_left[atp[j]])
        if ship[j]:
            c = min(c, units_left[node[j]])
            if orders_left[node[j]] <= 0:
                c = 0
        cap[j] = max(c, 0)


@numba.njit(cache=True, nogil=True)
def _fit(o, take, order_lines, line_cands, unit_obj, atp, node, ship, group, pair, pair_node,
         atp_left, units_left, orders_left):  # fmt: skip
    """Cut order o's pattern so that its lines together fit what is left, cheapest units kept
    (each line was capped on its own, but two lines may share a stock key or a node)."""
    c0, c1 = line_cands[order_lines[o]], line_cands[order_lines[o + 1]]
    idx = np.arange(c0, c1)[np.argsort(unit_obj[c0:c1], kind="mergesort")]
    kept = np.empty(c1 - c0, dtype=np.int64)
    n = 0
    for j in idx:
        t = take[j]
        if t == 0:
            continue
        atp_used, units_used, pair_open = 0, 0, False
        for i in range(n):
            k = kept[i]
            if atp[k] == atp[j]:
                atp_used += take[k]
            if ship[k] and ship[j] and node[k] == node[j]:
                units_used += take[k]
                pair_open = pair_open or pair[group[k]] == pair[group[j]]
        t = min(t, atp_left[atp[j]] - atp_used)
        if ship[j]:
            t = min(t, units_left[node[j]] - units_used)
            if not pair_open and orders_left[pair_node[pair[group[j]]]] <= 0:
                t = 0
        take[j] = max(t, 0)
        if take[j] > 0:
            kept[n] = j
            n += 1


@numba.njit(cache=True)
def _place(seq, proposal, order_lines, line_cands, unit_obj, atp, node, ship, group, pair,
           pair_node, atp_left, units_left, orders_left, take):  # fmt: skip
    for o in seq:
        c0, c1 = line_cands[order_lines[o]], line_cands[order_lines[o + 1]]
        for j in range(c0, c1):
            take[j] = proposal[j]
        _fit(o, take, order_lines, line_cands, unit_obj, atp, node, ship, group, pair,
             pair_node, atp_left, units_left, orders_left)  # fmt: skip
        _use(o, take, -1, order_lines, line_cands, atp, node, ship, group, pair, pair_node,
             atp_left, units_left, orders_left)  # fmt: skip


@numba.njit(cache=True, nogil=True)
def _respond(o, take, trial, cap, no_price, order_lines, order_groups, parcel_limit, line_cands,
             qty, bo, group, unit_obj, ub, atp, node, ship, package, group_ship, pair, handling,
             pair_node, atp_left, units_left, orders_left, node_limit):  # fmt: skip
    """Order o's best pattern within what is left (into ``trial``), committed; its cost."""
    lo, hi = order_lines[o], order_lines[o + 1]
    c0, c1 = line_cands[lo], line_cands[hi]
    _caps(o, order_lines, line_cands, ub, atp, node, ship, atp_left, units_left, orders_left,
          cap)  # fmt: skip
    for j in range(c0, c1):
        trial[j] = 0
    _price_one(lo, hi, c0, c1, order_groups[o], order_groups[o + 1], parcel_limit[o],
               line_cands, qty, bo, group, unit_obj, cap, package, group_ship, pair, handling,
               no_price, node_limit, trial)  # fmt: skip
    _fit(o, trial, order_lines, line_cands, unit_obj, atp, node, ship, group, pair, pair_node,
         atp_left, units_left, orders_left)  # fmt: skip
    _use(o, trial, -1, order_lines, line_cands, atp, node, ship, group, pair, pair_node,
         atp_left, units_left, orders_left)  # fmt: skip
    return _order_cost(o, trial, order_lines, line_cands, qty, bo, group, unit_obj, package,
                       pair, handling)  # fmt: skip


@numba.njit(cache=True)
def _improve(
    seq, passes, order_lines, order_groups, parcel_limit, line_cands, qty, bo, group, unit_obj,
    ub, atp, node, ship, package, group_ship, pair, handling, pair_node, atp_left, units_left,
    orders_left, take, node_limit,
):  # fmt: skip
    cap = np.zeros(len(take), dtype=np.int64)
    trial = np.zeros(len(take), dtype=np.int64)
    no_price = np.zeros(len(handling))
    args = (order_lines, order_groups, parcel_limit, line_cands, qty, bo, group, unit_obj, ub,
            atp, node, ship, package, group_ship, pair, handling, pair_node, atp_left,
            units_left, orders_left, node_limit)  # fmt: skip
    moves = 0
    for _ in range(passes):
        changed = 0
        for o in seq:
            c0, c1 = line_cands[order_lines[o]], line_cands[order_lines[o + 1]]
            before = _order_cost(o, take, order_lines, line_cands, qty, bo, group, unit_obj,
                                 package, pair, handling)  # fmt: skip
            _use(o, take, 1, order_lines, line_cands, atp, node, ship, group, pair, pair_node,
                 atp_left, units_left, orders_left)  # fmt: skip
            after = _respond(o, take, trial, cap, no_price, *args)  # commits the trial
            if after < before - 1e-9:
                for j in range(c0, c1):
                    take[j] = trial[j]
                changed += 1
            else:  # keep the order's pattern: give the trial back, take the pattern again
                _use(o, trial, 1, order_lines, line_cands, atp, node, ship, group, pair,
                     pair_node, atp_left, units_left, orders_left)  # fmt: skip
                _use(o, take, -1, order_lines, line_cands, atp, node, ship, group, pair,
                     pair_node, atp_left, units_left, orders_left)  # fmt: skip
        moves += changed
        if changed == 0:
            break
    return moves


def place(op: OrderProblems, room: Room, seq: np.ndarray, proposal: np.ndarray) -> np.ndarray:
    """Orders in ``seq`` get their ``proposal`` units, cut to fit; ``room`` is used up."""
    take = np.zeros(op.n_cands, dtype=np.int64)
    _place(
        seq.astype(np.int64), proposal.astype(np.int64), op.order_lines, op.line_cands,
        op.unit_obj, op.atp, op.node, op.ship, op.group, op.pair, op.pair_node, room.atp,
        room.units, room.orders, take,
    )  # fmt: skip
    return take


def _search_arrays(op: OrderProblems, room: Room) -> tuple[np.ndarray, ...]:
    """The arrays the best-response kernels read, in their argument order."""
    return (
        op.order_lines, op.order_groups, op.parcel_limit, op.line_cands, op.qty, op.backorder,
        op.group, op.unit_obj, op.ub, op.atp, op.node, op.ship, op.package, op.group_ship,
        op.pair, op.handling, op.pair_node, room.atp, room.units, room.orders,
    )  # fmt: skip


def improve(
    op: OrderProblems, room: Room, take: np.ndarray, seq: np.ndarray, passes: int = 3
) -> int:
    """Best-response passes over ``seq`` (``take`` and ``room`` updated); returns the moves."""
    return int(
        _improve(  # type: ignore[call-arg]  # numba dispatchers take any arguments
            seq.astype(np.int64),
            passes,
            *_search_arrays(op, room),
            take,
            NODE_LIMIT,
        )
    )


def use_of(op: OrderProblems, pats: Patterns, room: Room) -> None:
    """Take the patterns' stock and capacity out of ``room`` (in place)."""
    j, q = pats.cand, pats.qty
    room.atp -= np.bincount(op.atp[j], weights=q, minlength=len(room.atp)).astype(np.int64)
    ship = op.ship[j]
    units = np.bincount(op.node[j][ship], weights=q[ship], minlength=len(room.units))
    room.units -= np.where(room.units >= BIG // 2, 0, units.astype(np.int64))
    fp = pats.fill_pattern()[ship]
    pairs = np.unique(np.stack([fp, op.pair[op.group[j][ship]]]), axis=1)[1]
    orders = np.bincount(op.pair_node[pairs], minlength=len(room.orders))
    room.orders -= np.where(room.orders >= BIG // 2, 0, orders.astype(np.int64))


def caps_of(op: OrderProblems, room: Room) -> np.ndarray:
    """Per candidate: its ub cut to what ``room`` leaves (0 at a node with no order left)."""
    cap = np.minimum(op.ub, room.atp[op.atp])
    ship_cap = np.where(room.orders[op.node] > 0, room.units[op.node], 0)
    return np.maximum(np.where(op.ship, np.minimum(cap, ship_cap), cap), 0)


@numba.njit(cache=True)
def _exchange(
    first, second, order_lines, order_groups, parcel_limit, line_cands, qty, bo, group,
    unit_obj, ub, atp, node, ship, package, group_ship, pair, handling, pair_node, atp_left,
    units_left, orders_left, take, node_limit,
):  # fmt: skip
    """For each pair (a, b): both out, then a-then-b and b-then-a best responses; the best of
    the three (unchanged included) is kept."""
    n = len(take)
    cap = np.zeros(n, dtype=np.int64)
    ta = np.zeros(n, dtype=np.int64)
    tb = np.zeros(n, dtype=np.int64)
    no_price = np.zeros(len(handling))
    moves = 0
    args = (order_lines, order_groups, parcel_limit, line_cands, qty, bo, group, unit_obj, ub,
            atp, node, ship, package, group_ship, pair, handling, pair_node, atp_left,
            units_left, orders_left, node_limit)  # fmt: skip
    for i in range(len(first)):
        a, b = first[i], second[i]
        if a == b:
            continue
        before = _order_cost(
            a, take, order_lines, line_cands, qty, bo, group, unit_obj, package, pair, handling
        ) + _order_cost(
            b, take, order_lines, line_cands, qty, bo, group, unit_obj, package, pair, handling
        )
        _use(a, take, 1, order_lines, line_cands, atp, node, ship, group, pair, pair_node,
             atp_left, units_left, orders_left)  # fmt: skip
        _use(b, take, 1, order_lines, line_cands, atp, node, ship, group, pair, pair_node,
             atp_left, units_left, orders_left)  # fmt: skip
        best, best_first = before, -1
        for first_is_a in (True, False):
            x, y = (a, b) if first_is_a else (b, a)
            cost = _respond(x, take, ta, cap, no_price, *args)
            cost += _respond(y, take, tb, cap, no_price, *args)
            if cost < best - 1e-9:
                best, best_first = cost, x
            _use(x, ta, 1, order_lines, line_cands, atp, node, ship, group, pair, pair_node,
                 atp_left, units_left, orders_left)  # fmt: skip
            _use(y, tb, 1, order_lines, line_cands, atp, node, ship, group, pair, pair_node,
                 atp_left, units_left, orders_left)  # fmt: skip
        if best_first < 0:
            _use(a, take, -1, order_lines, line_cands, atp, node, ship, group, pair, pair_node,
                 atp_left, units_left, orders_left)  # fmt: skip
            _use(b, take, -1, order_lines, line_cands, atp, node, ship, group, pair, pair_node,
                 atp_left, units_left, orders_left)  # fmt: skip
            continue
        x = best_first
        y = b if x == a else a
        _respond(x, take, ta, cap, no_price, *args)
        _respond(y, take, tb, cap, no_price, *args)
        for o, t in ((x, ta), (y, tb)):
            for j in range(line_cands[order_lines[o]], line_cands[order_lines[o + 1]]):
                take[j] = t[j]
        moves += 1
    return moves


def exchange(
    op: OrderProblems, room: Room, take: np.ndarray, first: np.ndarray, second: np.ndarray
) -> int:
    """Pairwise exchanges (``take`` and ``room`` updated); returns the moves kept."""
    return int(
        _exchange(  # type: ignore[call-arg]  # numba dispatchers take any arguments
            first.astype(np.int64),
            second.astype(np.int64),
            *_search_arrays(op, room),
            take,
            NODE_LIMIT,
        )
    )
