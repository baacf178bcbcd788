"""Exact pricing: every order's cheapest pattern at given prices, all orders at once.

An order's problem, once the coupling rows are priced, is small: open some of its groups
(at most ``parcel_limit`` of them parcels), pay each opened group's package and each opened
(order, node) pair's handling (plus the price of one more order shipped from the node), and
let each line take its units from the opened groups, cheapest rate first, up to each
candidate's cap, backordering the rest. With the groups fixed, the lines are independent
knapsacks with whole capacities, so that fill is integral and greedy is exact.

Which groups to open is searched depth-first (open a group, then keep it closed; groups in
order of their value alone), pruned by a bound in which every undecided group may be opened
at a per-unit share of its fixed costs (its package and a share of its pair's handling,
spread over the most units it could take): any real opening costs at least that. The search
is exact. An order whose search exceeds ``node_limit`` nodes keeps its best pattern and
reports, as its lower bound, the least bound over the subtrees it did not finish, so a
Lagrangian bound built from these values stays valid. Work is counted in nodes, never in
seconds: the same prices give the same patterns on any machine.

Orders are priced in parallel (``numba.prange``); each writes only its own slice of the
outputs, so the result does not depend on the number of threads.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from optimizers.patterns.problem import OrderProblems

NODE_LIMIT = 50_000
EPS = 1e-9
OPEN, FREE, CLOSED = 1, 0, 2


@dataclass(frozen=True)
class Priced:
    """Per order: the cheapest pattern's priced cost and a lower bound on it (equal unless the
    search was cut), and per candidate the units that pattern takes."""

    priced: np.ndarray  # per order: Σ rate·x + fixed + backorders of the best pattern found
    lower: np.ndarray  # per order: a lower bound on the cheapest pattern (<= priced)
    take: np.ndarray  # per candidate (OrderProblems order): units in the best pattern
    nodes: np.ndarray  # per order: search nodes used
    cut: np.ndarray  # per order: the search hit the node limit


@numba.njit(cache=True, nogil=True)
def _fill(lo, hi, line_start, line_end, qty, bo, order, rate, cap, group, g0, is_open):
    """The order's lines filled greedily from its open groups: Σ cost (units + backorders)."""
    total = 0.0
    for li in range(lo, hi):
        rem = qty[li]
        for k in range(line_start[li - lo], line_end[li - lo]):
            if rem == 0:
                break
            j = order[k]
            if is_open[group[j] - g0]:
                t = min(rem, cap[j])
                total += t * rate[j]
                rem -= t
        total += rem * bo[li]
    return total


@numba.njit(cache=True, nogil=True)
def _relaxed_fill(lo, hi, line_start, line_end, qty, bo, order, rate, cap, group, g0, extra,
                  buf_rate, buf_cap):  # fmt: skip
    """Like ``_fill`` with every group whose ``extra`` is finite available at rate + extra."""
    total = 0.0
    for li in range(lo, hi):
        n = 0
        for k in range(line_start[li - lo], line_end[li - lo]):
            j = order[k]
            e = extra[group[j] - g0]
            if e < np.inf and rate[j] + e < bo[li]:
                buf_rate[n] = rate[j] + e
                buf_cap[n] = cap[j]
                n += 1
        rem = qty[li]
        if n:
            idx = np.argsort(buf_rate[:n])
            for i in idx:
                if rem == 0:
                    break
                t = min(rem, buf_cap[i])
                total += t * buf_rate[i]
                rem -= t
        total += rem * bo[li]
    return total


@numba.njit(cache=True, nogil=True)
def _extras(seq, k, status, pkg, h_share, nu_share, ship, umax, pair_open, pair_ship_open,
            lpair, ships, limit, extra):  # fmt: skip
    """Per local group: 0 if open, its per-unit fixed share if it may still open, inf if not."""
    extra[:] = np.inf
    for i in range(len(seq)):
        g = seq[i]
        if status[g] == OPEN:
            extra[g] = 0.0
        elif status[g] == FREE and i >= k and (ships < limit or not ship[g]):
            lp = lpair[g]
            f = pkg[g] + (0.0 if pair_open[lp] else h_share[g])
            if ship[g] and not pair_ship_open[lp]:
                f += nu_share[g]
            extra[g] = f / umax[g]


@numba.njit(cache=True, nogil=True)
def _price_one(
    lo, hi, c0, c1, g0, g1, limit, line_cands, qty, bo, group, rate, cap, package, group_ship,
    pair, pair_fixed, pair_ship_fixed, node_limit, take,
):  # fmt: skip
    """Search one order (lines lo..hi, candidates c0..c1, groups g0..g1); writes ``take``.
    Returns (priced cost, lower bound, nodes, cut)."""
    ng = g1 - g0
    # candidates worth taking (priced below their line's backorder), sorted by rate per line
    order = np.empty(c1 - c0, dtype=np.int64)
    line_start = np.empty(hi - lo, dtype=np.int64)
    line_end = np.empty(hi - lo, dtype=np.int64)
    umax = np.zeros(ng)
    n = 0
    widest = 1
    for li in range(lo, hi):
        s, e = line_cands[li], line_cands[li + 1]
        widest = max(widest, e - s)
        line_start[li - lo] = n
        for j in np.argsort(rate[s:e], kind="mergesort") + s:
            if cap[j] > 0 and rate[j] < bo[li] - EPS:
                order[n] = j
                n += 1
                umax[group[j] - g0] += min(qty[li], cap[j])
        line_end[li - lo] = n
    # local pairs and the fixed-cost shares of every useful group
    p0 = pair[g0] if ng else 0
    lpair = np.empty(ng, dtype=np.int64)
    n_groups = np.zeros(max(ng, 1), dtype=np.int64)
    n_ship = np.zeros(max(ng, 1), dtype=np.int64)
    ship = np.empty(ng, dtype=np.bool_)
    pkg = np.empty(ng)
    for g in range(ng):
        lpair[g] = pair[g0 + g] - p0
        ship[g] = group_ship[g0 + g]
        pkg[g] = package[g0 + g]
        if umax[g] > 0:
            n_groups[lpair[g]] += 1
            n_ship[lpair[g]] += ship[g]
    h_share = np.zeros(ng)
    nu_share = np.zeros(ng)
    for g in range(ng):
        if umax[g] > 0:
            p = p0 + lpair[g]
            h_share[g] = pair_fixed[p] / n_groups[lpair[g]]
            if ship[g]:
                nu_share[g] = pair_ship_fixed[p] / n_ship[lpair[g]]
    useful = np.flatnonzero(umax > 0)
    m = len(useful)
    # groups in order of their value alone (ties by index: deterministic)
    is_open = np.zeros(ng, dtype=np.bool_)
    alone = np.empty(m)
    for i in range(m):
        g = useful[i]
        is_open[g] = True
        alone[i] = _fill(lo, hi, line_start, line_end, qty, bo, order, rate, cap, group, g0,
                         is_open) + pkg[g] + h_share[g] * n_groups[lpair[g]]  # fmt: skip
        if ship[g]:
            alone[i] += nu_share[g] * n_ship[lpair[g]]
        is_open[g] = False
    seq = useful[np.argsort(alone, kind="mergesort")]
    # depth-first search; status per local group, decisions along seq
    status = np.zeros(ng, dtype=np.int8)  # FREE
    dec = np.full(m, -1, dtype=np.int8)
    pair_open = np.zeros(max(ng, 1), dtype=np.int64)
    pair_ship_open = np.zeros(max(ng, 1), dtype=np.int64)
    extra = np.empty(ng)
    buf_rate = np.empty(widest)
    buf_cap = np.empty(widest, dtype=np.int64)
    best = _fill(lo, hi, line_start, line_end, qty, bo, order, rate, cap, group, g0, is_open)
    best_open = np.zeros(ng, dtype=np.bool_)
    fixed, ships, nodes, k, cut = 0.0, 0, 0, 0, False
    while True:
        nodes += 1
        current = fixed + _fill(lo, hi, line_start, line_end, qty, bo, order, rate, cap, group,
                                g0, is_open)  # fmt: skip
        if current < best - EPS:
            best = current
            best_open[:] = is_open
        descend = False
        if k < m:
            _extras(seq, k, status, pkg, h_share, nu_share, ship, umax, pair_open,
                    pair_ship_open, lpair, ships, limit, extra)  # fmt: skip
            bound = fixed + _relaxed_fill(lo, hi, line_start, line_end, qty, bo, order, rate,
                                          cap, group, g0, extra, buf_rate, buf_cap)  # fmt: skip
            descend = bound < best - EPS
        if descend and nodes >= node_limit:
            cut = True
            break
        if descend:
            g = seq[k]
            if ships < limit or not ship[g]:
                dec[k] = OPEN
                lp = lpair[g]
                fixed += pkg[g] + (pair_fixed[p0 + lp] if pair_open[lp] == 0 else 0.0)
                pair_open[lp] += 1
                if ship[g]:
                    fixed += pair_ship_fixed[p0 + lp] if pair_ship_open[lp] == 0 else 0.0
                    pair_ship_open[lp] += 1
                    ships += 1
                status[g] = OPEN
                is_open[g] = True
            else:
                dec[k] = CLOSED
                status[g] = CLOSED
            k += 1
            continue
        # backtrack to the deepest open decision and close it instead
        switched = False
        while k > 0:
            k -= 1
            g = seq[k]
            if dec[k] == OPEN:
                lp = lpair[g]
                pair_open[lp] -= 1
                fixed -= pkg[g] + (pair_fixed[p0 + lp] if pair_open[lp] == 0 else 0.0)
                if ship[g]:
                    pair_ship_open[lp] -= 1
                    fixed -= pair_ship_fixed[p0 + lp] if pair_ship_open[lp] == 0 else 0.0
                    ships -= 1
                is_open[g] = False
                dec[k] = CLOSED
                status[g] = CLOSED
                k += 1
                switched = True
                break
            dec[k] = -1
            status[g] = FREE
        if not switched:
            break
    lower = best
    if cut:
        lower = min(best, _frontier(lo, hi, line_start, line_end, qty, bo, order, rate, cap,
                                    group, g0, seq, dec, k, pkg, h_share, nu_share, ship, umax,
                                    lpair, p0, pair_fixed, pair_ship_fixed, limit, extra,
                                    buf_rate, buf_cap))  # fmt: skip
    for li in range(lo, hi):  # the best pattern's units
        rem = qty[li]
        for kk in range(line_start[li - lo], line_end[li - lo]):
            if rem == 0:
                break
            j = order[kk]
            if best_open[group[j] - g0]:
                t = min(rem, cap[j])
                take[j] = t
                rem -= t
    return best, lower, nodes, cut


@numba.njit(cache=True, nogil=True)
def _frontier(
    lo, hi, line_start, line_end, qty, bo, order, rate, cap, group, g0, seq, dec, k, pkg,
    h_share, nu_share, ship, umax, lpair, p0, pair_fixed, pair_ship_fixed, limit, extra,
    buf_rate, buf_cap,
):  # fmt: skip
    """The least bound over the subtrees a cut search left unfinished: the current node's and,
    for every open decision on the path, the sibling that keeps that group closed."""
    ng = len(umax)
    lower = np.inf
    status = np.zeros(ng, dtype=np.int8)
    pair_open = np.zeros(max(ng, 1), dtype=np.int64)
    pair_ship_open = np.zeros(max(ng, 1), dtype=np.int64)
    for depth in range(k, -1, -1):
        if depth < k and dec[depth] != OPEN:
            continue
        status[:] = FREE
        pair_open[:] = 0
        pair_ship_open[:] = 0
        fixed, ships = 0.0, 0
        for i in range(depth):
            g = seq[i]
            if dec[i] == OPEN:
                lp = lpair[g]
                fixed += pkg[g] + (pair_fixed[p0 + lp] if pair_open[lp] == 0 else 0.0)
                pair_open[lp] += 1
                if ship[g]:
                    fixed += pair_ship_fixed[p0 + lp] if pair_ship_open[lp] == 0 else 0.0
                    pair_ship_open[lp] += 1
                    ships += 1
                status[g] = OPEN
            else:
                status[g] = CLOSED
        start = depth
        if depth < k:
            status[seq[depth]] = CLOSED
            start = depth + 1
        _extras(seq, start, status, pkg, h_share, nu_share, ship, umax, pair_open,
                pair_ship_open, lpair, ships, limit, extra)  # fmt: skip
        value = fixed + _relaxed_fill(lo, hi, line_start, line_end, qty, bo, order, rate, cap,
                                      group, g0, extra, buf_rate, buf_cap)  # fmt: skip
        lower = min(lower, value)
    return lower


@numba.njit(cache=True, parallel=True)
def _price_all(
    order_lines, order_groups, order_cands, parcel_limit, line_cands, qty, bo, group, rate,
    cap, package, group_ship, pair, pair_fixed, pair_ship_fixed, node_limit, active,
):  # fmt: skip
    n = len(parcel_limit)
    priced = np.zeros(n)
    lower = np.zeros(n)
    nodes = np.zeros(n, dtype=np.int64)
    cut = np.zeros(n, dtype=np.bool_)
    take = np.zeros(len(rate), dtype=np.int64)
    for o in numba.prange(n):
        if not active[o]:
            continue
        priced[o], lower[o], nodes[o], cut[o] = _price_one(
            order_lines[o], order_lines[o + 1], order_cands[o], order_cands[o + 1],
            order_groups[o], order_groups[o + 1], parcel_limit[o], line_cands, qty, bo, group,
            rate, cap, package, group_ship, pair, pair_fixed, pair_ship_fixed, node_limit, take,
        )  # fmt: skip
    return priced, lower, take, nodes, cut


def price_orders(
    op: OrderProblems,
    rate: np.ndarray,
    pair_ship_fixed: np.ndarray,
    cap: np.ndarray | None = None,
    active: np.ndarray | None = None,
    node_limit: int = NODE_LIMIT,
) -> Priced:
    """Every order's cheapest pattern at per-candidate unit ``rate`` (objective plus prices)
    and per-pair ``pair_ship_fixed`` (the price of one more order shipped from its node),
    with candidate caps ``cap`` (default: each candidate's ub); only ``active`` orders (default
    all) are priced, the others report zeros."""
    cap = op.ub if cap is None else cap
    active = np.ones(op.n_orders, dtype=bool) if active is None else active
    order_cands = op.line_cands[op.order_lines]
    priced, lower, take, nodes, cut = _price_all(
        op.order_lines, op.order_groups, order_cands, op.parcel_limit, op.line_cands, op.qty,
        op.backorder, op.group, np.ascontiguousarray(rate, dtype=np.float64),
        np.ascontiguousarray(cap, dtype=np.int64), op.package, op.group_ship, op.pair,
        op.handling, np.ascontiguousarray(pair_ship_fixed, dtype=np.float64), node_limit, active,
    )  # fmt: skip
    return Priced(priced, lower, take, nodes, cut)
