"""LP rounding + greedy repair: an integral plan built from the LP relaxation in NumPy.

Round the LP's units down, drop whole parcels (fewest units first) where an order uses more
parcels than allowed or a node ships more orders than its capacity, then fill each line's
remaining units greedily from its cheapest candidate (per unit, counting a new parcel's and a
new (order, node) pair's fixed costs) that still has ATP, unit and order capacity and a
parcel slot, never at a per-unit cost above backordering. The result is checked against every
model row before it is used; together with the LP bound it may already prove the gap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from optimizers.candidates import Candidates
from optimizers.model.objective import FILLS_SCHEMA
from optimizers.segments import rank_in_runs

EPS = 1e-6


def _drop_excess(
    x: np.ndarray, grp: np.ndarray, count_key: np.ndarray, limit: np.ndarray, applies: np.ndarray
) -> None:
    """Zero x of the groups (ranked by units, fewest first) above a per-key count limit."""
    units = np.bincount(grp, weights=x, minlength=len(applies))
    used = np.flatnonzero((units > 0) & applies)
    if len(used) == 0:
        return
    g_key = count_key[used]
    order = np.lexsort((-units[used], g_key))  # by key, most units first
    g_sorted, k_sorted = used[order], g_key[order]
    drop = g_sorted[rank_in_runs(k_sorted) >= limit[k_sorted]]
    if len(drop):
        x[np.isin(grp, drop)] = 0.0


@dataclass(frozen=True)
class PlanArrays:
    """The candidates, groups, pairs, nodes and lines a repair reads, as NumPy arrays."""

    cand_idx: np.ndarray
    line: np.ndarray
    order: np.ndarray
    node: np.ndarray
    atp: np.ndarray
    group: np.ndarray
    pair: np.ndarray
    unit_obj: np.ndarray
    ub: np.ndarray
    is_ship: np.ndarray
    g_ship: np.ndarray
    g_order: np.ndarray
    g_pair: np.ndarray
    g_pkg: np.ndarray  # package cost of shipping groups (0 for pickups)
    p_handling: np.ndarray
    p_node: np.ndarray
    cap_units: np.ndarray
    cap_orders: np.ndarray  # inf = no limit
    atp_value: np.ndarray
    qty: np.ndarray  # per line
    price: np.ndarray  # per line
    limit: np.ndarray  # per order: parcels it may still open
    penalty: float  # backorder penalty


def plan_arrays(c: Candidates) -> PlanArrays:
    cand = c.candidates.sort("cand_idx")
    groups, pairs = c.groups.sort("group_idx"), c.pairs.sort("pair_idx")
    nodes, lines = c.nodes.sort("node_idx"), c.lines.sort("line_idx")
    g_ship = groups["is_ship"].to_numpy().astype(bool)
    g_pkg = np.nan_to_num(groups["cost_per_package"].cast(pl.Float64).to_numpy())

    def floats(frame: pl.DataFrame, column: str) -> np.ndarray:
        return frame[column].cast(pl.Float64).to_numpy()

    return PlanArrays(
        cand_idx=cand["cand_idx"].to_numpy(),
        line=cand["line_idx"].to_numpy(),
        order=cand["order_idx"].to_numpy(),
        node=cand["node_idx"].to_numpy(),
        atp=cand["atp_idx"].to_numpy(),
        group=cand["group_idx"].to_numpy(),
        pair=cand["pair_idx"].to_numpy(),
        unit_obj=cand["unit_obj"].to_numpy(),
        ub=floats(cand, "ub"),
        is_ship=cand["is_ship"].to_numpy().astype(bool),
        g_ship=g_ship,
        g_order=groups["order_idx"].to_numpy(),
        g_pair=groups["pair_idx"].to_numpy(),
        g_pkg=np.where(g_ship, g_pkg, 0.0),
        p_handling=floats(pairs, "handling_cost_per_order"),
        p_node=pairs["node_idx"].to_numpy(),
        cap_units=floats(nodes, "cap_units"),
        cap_orders=nodes["cap_orders"].cast(pl.Float64).fill_null(np.inf).to_numpy(),
        atp_value=floats(c.atp.sort("atp_idx"), "available_to_promise"),
        qty=floats(lines, "quantity"),
        price=floats(lines, "unit_price"),
        limit=c.parcel_limits(),
        penalty=float(c.settings.backorder_penalty),
    )


def _respect_limits(a: PlanArrays, x: np.ndarray) -> None:
    """Drop whole parcels (fewest units first) where an order uses more parcels than allowed,
    then whole (order, node) shipments where a node ships more orders than its capacity."""
    ng, npairs = len(a.g_ship), len(a.p_node)
    _drop_excess(x, a.group, a.g_order, a.limit, a.g_ship)
    ship_grp_units = np.bincount(a.group, weights=x * a.is_ship, minlength=ng)
    pair_ship_units = np.bincount(a.g_pair, weights=ship_grp_units, minlength=npairs)
    ship_pairs = np.flatnonzero(pair_ship_units > 0)
    if len(ship_pairs):
        nodes_of = a.p_node[ship_pairs]
        order = np.lexsort((-pair_ship_units[ship_pairs], nodes_of))
        ps, ns = ship_pairs[order], nodes_of[order]
        drop = ps[rank_in_runs(ns) >= a.cap_orders[ns]]
        if len(drop):
            x[np.isin(a.pair, drop) & a.is_ship] = 0.0


@dataclass
class Room:
    """What a plan leaves: stock, unit and order capacity, open groups, pairs and parcels."""

    atp_left: np.ndarray
    units_left: np.ndarray
    g_open: np.ndarray
    p_open: np.ndarray
    p_ships: np.ndarray
    parcels_used: np.ndarray
    orders_used: np.ndarray

    @classmethod
    def after(cls, a: PlanArrays, x: np.ndarray) -> Room:
        ng, npairs, nn = len(a.g_ship), len(a.p_node), len(a.cap_units)
        g_units = np.bincount(a.group, weights=x, minlength=ng)
        g_open = g_units > 0
        p_ships = np.bincount(a.g_pair, weights=g_units * a.g_ship, minlength=npairs) > 0
        n_orders = int(max(a.g_order.max(initial=-1), a.order.max(initial=-1))) + 1
        return cls(
            atp_left=a.atp_value - np.bincount(a.atp, weights=x, minlength=len(a.atp_value)),
            units_left=a.cap_units - np.bincount(a.node, weights=x * a.is_ship, minlength=nn),
            g_open=g_open,
            p_open=np.bincount(a.g_pair, weights=g_units, minlength=npairs) > 0,
            p_ships=p_ships,
            parcels_used=np.bincount(a.g_order, weights=(g_open & a.g_ship), minlength=n_orders),
            orders_used=np.bincount(a.p_node, weights=p_ships, minlength=nn),
        )


def _best_fill(
    a: PlanArrays, room: Room, x: np.ndarray, cands: list[int], need: float, ceiling: float
) -> tuple[int, float]:
    """The candidate that fills the most of ``need`` at the lowest rate per unit (counting a
    new parcel's and a new pair's fixed costs), below ``ceiling``; (-1, 0) when none can."""
    best, best_rate, best_k = -1, ceiling, 0.0
    for j in cands:
        k = min(need, a.ub[j] - x[j], room.atp_left[a.atp[j]])
        if a.is_ship[j]:
            k = min(k, room.units_left[a.node[j]])
        k = float(np.floor(k + EPS))
        if k < 1:
            continue
        g, p, n = a.group[j], a.pair[j], a.node[j]
        fixed = 0.0
        if not room.g_open[g]:
            if a.is_ship[j] and room.parcels_used[a.order[j]] >= a.limit[a.order[j]]:
                continue
            fixed += a.g_pkg[g]
        if a.is_ship[j] and not room.p_ships[p] and room.orders_used[n] >= a.cap_orders[n]:
            continue
        if not room.p_open[p]:
            fixed += a.p_handling[p]
        rate = a.unit_obj[j] + fixed / k
        if rate < best_rate:
            best, best_rate, best_k = j, rate, k
    return best, best_k


def _take(a: PlanArrays, room: Room, x: np.ndarray, j: int, k: float) -> None:
    """Fill ``k`` more units from candidate ``j`` and update what is left."""
    g, p = a.group[j], a.pair[j]
    x[j] += k
    room.atp_left[a.atp[j]] -= k
    if a.is_ship[j]:
        room.units_left[a.node[j]] -= k
        if not room.g_open[g]:
            room.parcels_used[a.order[j]] += 1
        if not room.p_ships[p]:
            room.p_ships[p] = True
            room.orders_used[a.node[j]] += 1
    room.g_open[g] = True
    room.p_open[p] = True


def fill_short_lines(a: PlanArrays, x: np.ndarray) -> None:
    """Fill each line's missing units greedily from its cheapest candidates that still have
    stock, capacity and a parcel slot, never at a per-unit cost above backordering."""
    room = Room.after(a, x)
    filled = np.bincount(a.line, weights=x, minlength=len(a.qty))
    short = np.flatnonzero(filled < a.qty - EPS)
    if not len(short):
        return
    # candidates of each short line, cheapest unit cost first (deterministic ties)
    by_line = np.lexsort((np.arange(len(x)), a.unit_obj, a.line))
    line_sorted = a.line[by_line]
    starts = np.searchsorted(line_sorted, short)
    ends = np.searchsorted(line_sorted, short, side="right")
    for li, lo, hi in zip(short.tolist(), starts.tolist(), ends.tolist(), strict=True):
        need = a.qty[li] - filled[li]
        cands = by_line[lo:hi].tolist()
        ceiling = a.penalty * a.price[li] - 1e-9
        while need > EPS:
            j, k = _best_fill(a, room, x, cands, need, ceiling)
            if j < 0:
                break
            _take(a, room, x, j, k)
            need -= k


def rounded_plan(c: Candidates, lp_x: np.ndarray) -> pl.DataFrame:
    """Fills (cand_idx, quantity) of an integral plan near ``lp_x`` (units per candidate in
    cand_idx order, e.g. the LP relaxation's x columns; may break the parcel and order-capacity
    rows but not stock or unit capacity): rounded down, held to the limits, then repaired."""
    a = plan_arrays(c)
    x = np.maximum(np.minimum(np.floor(lp_x[: len(a.ub)] + EPS), a.ub), 0.0)
    _respect_limits(a, x)
    fill_short_lines(a, x)
    keep = x > 0
    return pl.DataFrame(
        {"cand_idx": a.cand_idx[keep], "quantity": x[keep].astype(np.int64)}, schema=FILLS_SCHEMA
    )
