"""LP rounding + greedy repair: an integral plan built from the LP relaxation in NumPy.

Round the LP's units down, drop whole parcels (fewest units first) where an order uses more
parcels than allowed or a node ships more orders than its capacity, then fill each line's
remaining units greedily from its cheapest candidate (per unit, counting a new parcel's and a
new (order, node) pair's fixed costs) that still has ATP, unit and order capacity and a
parcel slot, never at a per-unit cost above backordering. The result is checked against every
model row before it is used; together with the LP bound it may already prove the gap.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from optimizers.candidates import Candidates
from optimizers.model.objective import FILLS_SCHEMA
from optimizers.segments import rank_in_runs

EPS = 1e-6


def _drop_excess(x, grp, count_key, limit: int, applies) -> None:
    """Zero x of the groups (ranked by units, fewest first) above a per-key count limit."""
    units = np.bincount(grp, weights=x, minlength=len(applies))
    used = np.flatnonzero((units > 0) & applies)
    if len(used) == 0:
        return
    g_key = count_key[used]
    order = np.lexsort((-units[used], g_key))  # by key, most units first
    g_sorted, k_sorted = used[order], g_key[order]
    drop = g_sorted[rank_in_runs(k_sorted) >= limit]
    if len(drop):
        x[np.isin(grp, drop)] = 0.0


def rounded_plan(c: Candidates, lp_x: np.ndarray) -> pl.DataFrame:
    """Fills (cand_idx, quantity) of an integral plan near ``lp_x`` (units per candidate in
    cand_idx order, e.g. the LP relaxation's x columns; may break the parcel and order-capacity
    rows but not stock or unit capacity)."""
    s = c.settings
    cand = c.candidates.sort("cand_idx")
    nx = cand.height
    get = {
        k: cand[k].to_numpy()
        for k in (
            "line_idx",
            "order_idx",
            "node_idx",
            "atp_idx",
            "group_idx",
            "pair_idx",
            "unit_obj",
            "ub",
        )
    }
    is_ship = cand["is_ship"].to_numpy().astype(bool)
    ub = get["ub"].astype(np.float64)
    x = np.minimum(np.floor(lp_x[:nx] + EPS), ub)
    x = np.maximum(x, 0.0)

    groups = c.groups.sort("group_idx")
    ng = groups.height
    g_ship = groups["is_ship"].to_numpy().astype(bool)
    g_order = groups["order_idx"].to_numpy()
    g_pair = groups["pair_idx"].to_numpy()
    g_pkg = np.nan_to_num(groups["cost_per_package"].cast(pl.Float64).to_numpy())
    g_pkg = np.where(g_ship, g_pkg, 0.0)
    pairs = c.pairs.sort("pair_idx")
    p_handling = pairs["handling_cost_per_order"].cast(pl.Float64).to_numpy()
    p_node = pairs["node_idx"].to_numpy()
    nodes = c.nodes.sort("node_idx")
    cap_units = nodes["cap_units"].cast(pl.Float64).to_numpy()
    cap_orders = nodes["cap_orders"].cast(pl.Float64).fill_null(np.inf).to_numpy()
    limit = int(s.max_parcels_per_order)
    grp = get["group_idx"]

    # Parcel limit per order (shipping groups), then order capacity per node (shipping pairs).
    _drop_excess(x, grp, g_order, limit, g_ship)
    ship_grp_units = np.bincount(grp, weights=x * is_ship, minlength=ng)
    pair_ship_units = np.bincount(g_pair, weights=ship_grp_units, minlength=pairs.height)
    ship_pairs = np.flatnonzero(pair_ship_units > 0)
    if len(ship_pairs):
        nodes_of = p_node[ship_pairs]
        order = np.lexsort((-pair_ship_units[ship_pairs], nodes_of))
        ps, ns = ship_pairs[order], nodes_of[order]
        drop = ps[rank_in_runs(ns) >= cap_orders[ns]]
        if len(drop):
            x[np.isin(get["pair_idx"], drop) & is_ship] = 0.0

    atp_val = c.atp.sort("atp_idx")["available_to_promise"].cast(pl.Float64).to_numpy()
    atp_left = atp_val - np.bincount(get["atp_idx"], weights=x, minlength=len(atp_val))
    units_left = cap_units - np.bincount(
        get["node_idx"], weights=x * is_ship, minlength=len(cap_units)
    )
    g_units = np.bincount(grp, weights=x, minlength=ng)
    g_open = g_units > 0
    p_open = np.bincount(g_pair, weights=g_units, minlength=pairs.height) > 0
    p_ships = np.bincount(g_pair, weights=g_units * g_ship, minlength=pairs.height) > 0
    n_orders = int(max(g_order.max(initial=-1), get["order_idx"].max(initial=-1))) + 1
    parcels_used = np.bincount(g_order, weights=(g_open & g_ship), minlength=n_orders)
    orders_used = np.bincount(p_node, weights=p_ships, minlength=len(cap_units))

    lines = c.lines.sort("line_idx")
    qty = lines["quantity"].cast(pl.Float64).to_numpy()
    price = lines["unit_price"].cast(pl.Float64).to_numpy()
    filled = np.bincount(get["line_idx"], weights=x, minlength=len(qty))
    short = np.flatnonzero(filled < qty - EPS)
    if len(short):
        # candidates of each short line, cheapest unit cost first (deterministic ties)
        by_line = np.lexsort((np.arange(nx), get["unit_obj"], get["line_idx"]))
        line_sorted = get["line_idx"][by_line]
        starts = np.searchsorted(line_sorted, short)
        ends = np.searchsorted(line_sorted, short, side="right")
        unit_obj, atp_idx, node_idx = get["unit_obj"], get["atp_idx"], get["node_idx"]
        order_idx, pair_idx = get["order_idx"], get["pair_idx"]
        penalty = s.backorder_penalty
        for li, a, b in zip(short.tolist(), starts.tolist(), ends.tolist(), strict=True):
            rem = qty[li] - filled[li]
            cands = by_line[a:b].tolist()
            while rem > EPS:
                best, best_rate, best_k = -1, penalty * price[li] - 1e-9, 0.0
                for j in cands:
                    room = min(rem, ub[j] - x[j], atp_left[atp_idx[j]])
                    if is_ship[j]:
                        room = min(room, units_left[node_idx[j]])
                    room = float(np.floor(room + EPS))
                    if room < 1:
                        continue
                    g, p = grp[j], pair_idx[j]
                    fixed = 0.0
                    if not g_open[g]:
                        if is_ship[j] and parcels_used[order_idx[j]] >= limit:
                            continue
                        fixed += g_pkg[g]
                    n = node_idx[j]
                    if is_ship[j] and not p_ships[p] and orders_used[n] >= cap_orders[n]:
                        continue
                    if not p_open[p]:
                        fixed += p_handling[p]
                    rate = unit_obj[j] + fixed / room
                    if rate < best_rate:
                        best, best_rate, best_k = j, rate, room
                if best < 0:
                    break
                j = best
                g, p = grp[j], pair_idx[j]
                x[j] += best_k
                rem -= best_k
                atp_left[atp_idx[j]] -= best_k
                if is_ship[j]:
                    units_left[node_idx[j]] -= best_k
                    if not g_open[g]:
                        parcels_used[order_idx[j]] += 1
                    if not p_ships[p]:
                        p_ships[p] = True
                        orders_used[node_idx[j]] += 1
                g_open[g] = True
                p_open[p] = True
            filled[li] = qty[li] - rem
    keep = x > 0
    return pl.DataFrame(
        {"cand_idx": cand["cand_idx"].to_numpy()[keep], "quantity": x[keep].astype(np.int64)},
        schema=FILLS_SCHEMA,
    )
