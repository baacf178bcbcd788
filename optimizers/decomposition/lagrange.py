"""Lagrangian relaxation: a lower bound that holds at any scale, and prices that steer a plan.

Put a price >= 0 on every row that couples orders: stock per (node, sku) ``pi``, shipped units
per node ``sigma``, orders shipped per node ``kappa``, and on the parcel limit of an order
``tau``. What is left falls apart into one tiny problem per line: fill ``qty`` units from
candidates at a per-unit rate, or backorder them. The rate of candidate j is

    e_j = unit_obj_j + pi[atp] + sigma[node]·ship + (fixed_j + kappa[node]·kshare_j
          + tau[order]·tshare_j)

where the fixed costs of a group (package, per-order handling) are spread over its units:
``y_g >= x_j / ub_j`` for every line j of the group, so ``F·y_g >= Σ_j F·x_j / (n_g·ub_j)``
with n_g the lines that can use the group (the same for a pair's handling over its groups).
Each line's problem is a fractional knapsack: cheapest rates first, up to ``ub_j`` units each.

    bound = Σ_lines knapsack - Σ pi·ATP - Σ sigma·units_cap - Σ kappa·orders_cap - Σ tau·limit

is a valid lower bound on the plan's objective for *any* prices >= 0 (weak duality), so it can
be computed from prices found any way (here: subgradient steps) and needs no LP solve. With the
best prices it equals the LP relaxation's bound. Candidates pruned away before the model are
covered by a per-line floor: their rates only grow with the prices, so one unlimited option at
the lowest price-free rate among them (``Candidates.lines.pruned_floor``) keeps the bound valid.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import polars as pl

from optimizers.candidates import Candidates
from optimizers.candidates.prepare import NO_LIMIT
from optimizers.heuristics.rounding import rounded_plan
from optimizers.segments import run_starts, weight_before


@dataclass(frozen=True)
class Relaxation:
    """The per-line problems and the coupling rows they are priced by, as NumPy arrays."""

    cand: np.ndarray  # cand_idx, ascending
    line: np.ndarray  # per candidate: position of its line in ``qty``
    atp: np.ndarray  # per candidate: atp key
    node: np.ndarray
    order: np.ndarray
    group: np.ndarray  # per candidate: dense group index
    ship: np.ndarray  # 1.0 where the candidate uses the node's unit capacity
    unit_obj: np.ndarray
    fshare: np.ndarray  # fixed costs per unit at a uniform spread over the group's lines
    kshare: np.ndarray  # coefficient of kappa[node] in the rate
    tshare: np.ndarray  # coefficient of tau[order] in the rate
    ub: np.ndarray
    qty: np.ndarray  # per line
    backorder: np.ndarray  # per line: cost of a backordered unit
    floor: np.ndarray  # per line: lowest price-free rate of a pruned candidate (inf if none)
    atp_cap: np.ndarray  # per atp key; inf where the row cannot bind
    unit_cap: np.ndarray  # per node
    order_cap: np.ndarray  # per node
    parcel_cap: np.ndarray  # per order
    offset: float  # backorder cost of lines without any candidate

    @property
    def n_lines(self) -> int:
        return len(self.qty)


@dataclass
class Prices:
    """Multipliers of the coupling rows (>= 0; zero where a row cannot bind)."""

    atp: np.ndarray
    units: np.ndarray
    orders: np.ndarray
    parcels: np.ndarray
    spread: np.ndarray  # per candidate: its share of its group's fixed costs x lines in group

    def copy(self) -> Prices:
        return Prices(
            self.atp.copy(),
            self.units.copy(),
            self.orders.copy(),
            self.parcels.copy(),
            self.spread.copy(),
        )


@dataclass(frozen=True)
class Evaluation:
    """The relaxation at one set of prices."""

    bound: float
    take: np.ndarray  # units per candidate in the per-line optimum
    regret: np.ndarray  # per candidate: next option's rate minus its own (keep priority)
    rate: np.ndarray  # per candidate, priced


def _can_bind(keys: np.ndarray, ub: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """cap where Σ ub over the key can exceed it, inf elsewhere (that row never binds)."""
    most = np.bincount(keys, weights=ub, minlength=len(cap))
    return np.where(most > cap, cap, np.inf)


def relaxation(c: Candidates) -> Relaxation:
    """Arrays of the relaxation from the candidates (their ``share_*`` columns are computed over
    all eligible candidates, before any pruning)."""
    s = c.settings
    cand = c.candidates.sort("cand_idx")
    lines = c.lines.sort("line_idx")
    line_ids, line_pos = np.unique(cand["line_idx"].to_numpy(), return_inverse=True)
    qty_all = lines["quantity"].cast(pl.Float64).to_numpy()
    price_all = s.backorder_penalty * lines["unit_price"].cast(pl.Float64).to_numpy()
    floor_all = (
        lines["pruned_floor"].fill_null(np.inf).to_numpy()
        if "pruned_floor" in lines.columns
        else np.full(lines.height, np.inf)
    )
    modelled = np.zeros(lines.height, dtype=bool)
    modelled[line_ids] = True
    offset = float((qty_all * price_all)[~modelled].sum())

    ub = cand["ub"].cast(pl.Float64).to_numpy()
    ship = cand["is_ship"].to_numpy().astype(np.float64)
    atp = cand["atp_idx"].to_numpy()
    node = cand["node_idx"].to_numpy()
    order = cand["order_idx"].to_numpy()
    nodes = c.nodes.sort("node_idx")
    atp_val = c.atp.sort("atp_idx")["available_to_promise"].cast(pl.Float64).to_numpy()
    unit_cap = nodes["cap_units"].cast(pl.Float64).to_numpy()
    unit_cap = np.where(unit_cap >= NO_LIMIT, np.inf, unit_cap)
    order_cap = nodes["cap_orders"].cast(pl.Float64).fill_null(np.inf).to_numpy()
    n_orders = int(c.lines["order_idx"].to_numpy().max(initial=0)) + 1
    order_units = np.bincount(c.lines["order_idx"].to_numpy(), weights=qty_all, minlength=n_orders)
    limit = np.zeros(n_orders)
    known = c.parcel_limits()
    limit[: len(known)] = known
    return Relaxation(
        cand=cand["cand_idx"].to_numpy(),
        line=line_pos.reshape(-1),
        atp=atp,
        node=node,
        order=order,
        group=np.unique(cand["group_idx"].to_numpy(), return_inverse=True)[1].reshape(-1),
        ship=ship,
        unit_obj=cand["unit_obj"].to_numpy(),
        fshare=cand["share_fixed"].to_numpy(),
        kshare=cand["share_order_cap"].to_numpy(),
        tshare=np.where(order_units[order] > limit[order], cand["share_parcel"].to_numpy(), 0.0),
        ub=ub,
        qty=qty_all[line_ids],
        backorder=price_all[line_ids],
        floor=floor_all[line_ids],
        atp_cap=_can_bind(atp, ub, atp_val),
        unit_cap=_can_bind(node, ub * ship, unit_cap),
        order_cap=_can_bind(node, cand["share_order_cap"].to_numpy() * ub, order_cap),
        parcel_cap=np.where(order_units > limit, limit, np.inf),
        offset=offset,
    )


def zero_prices(r: Relaxation) -> Prices:
    return Prices(
        np.zeros(len(r.atp_cap)),
        np.zeros(len(r.unit_cap)),
        np.zeros(len(r.order_cap)),
        np.zeros(len(r.parcel_cap)),
        np.ones(len(r.unit_obj)),
    )


def _finite(cap: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(cap), cap, 0.0)


def _on_binding_rows(r: Relaxation, p: Prices) -> Prices:
    """Prices with zeros on rows that cannot bind (their capacity term is left out)."""
    return Prices(
        np.where(np.isfinite(r.atp_cap), p.atp, 0.0),
        np.where(np.isfinite(r.unit_cap), p.units, 0.0),
        np.where(np.isfinite(r.order_cap), p.orders, 0.0),
        np.where(np.isfinite(r.parcel_cap), p.parcels, 0.0),
        p.spread,
    )


def evaluate(r: Relaxation, p: Prices) -> Evaluation:
    """Bound and per-line optimum at prices ``p`` (vectorised fractional knapsacks)."""
    n = len(r.unit_obj)
    p = _on_binding_rows(r, p)
    rate = (
        r.unit_obj
        + p.atp[r.atp]
        + p.units[r.node] * r.ship
        + p.spread * (r.fshare + p.orders[r.node] * r.kshare + p.parcels[r.order] * r.tshare)
    )
    lines = np.arange(r.n_lines)
    has_floor = np.isfinite(r.floor)
    opt_line = np.concatenate([r.line, lines, lines[has_floor]])
    opt_rate = np.concatenate([rate, r.backorder, r.floor[has_floor]])
    opt_ub = np.concatenate([r.ub, r.qty, r.qty[has_floor]])
    # Sort by (line, rate) through one float key (10x faster than lexsort at 600k options);
    # near-ties closer than the key's resolution may come out of order, which can only make
    # a knapsack dearer by at most ``slack`` in all, taken off the bound below.
    low, span = float(opt_rate.min()), float(np.ptp(opt_rate)) or 1.0
    order = np.argsort(opt_line + 0.5 * (opt_rate - low) / span, kind="stable")
    slack = float(r.qty.sum()) * span * 2.0 ** -(52 - np.log2(r.n_lines + 1) - 2)
    ls, rs, us = opt_line[order], opt_rate[order], opt_ub[order]
    idx = np.arange(len(order))
    first = run_starts(ls)
    prior = weight_before(ls, us)
    take_sorted = np.clip(r.qty[ls] - prior, 0.0, us)
    knapsacks = float(take_sorted @ rs)
    # The rate of each line's first option not used to the full: what a unit would cost next.
    open_idx = np.where(take_sorted < us - 1e-9, idx, len(order))
    seg = np.flatnonzero(first)
    next_rate = rs[np.minimum(np.minimum.reduceat(open_idx, seg), len(order) - 1)]
    take = np.empty(len(order))
    take[order] = take_sorted
    take = take[:n]
    regret = next_rate[r.line] - rate
    bound = (
        knapsacks
        - slack
        + r.offset
        - p.atp @ _finite(r.atp_cap)
        - p.units @ _finite(r.unit_cap)
        - p.orders @ _finite(r.order_cap)
        - p.parcels @ _finite(r.parcel_cap)
    )
    return Evaluation(float(bound), take, regret, rate)


def _subgradient(r: Relaxation, ev: Evaluation, p: Prices) -> Prices:
    """Row activity minus capacity at the per-line optimum, on the rows that can bind."""

    def use(keys, weights, cap):
        g = np.bincount(keys, weights=weights, minlength=len(cap)) - _finite(cap)
        return np.where(np.isfinite(cap), g, 0.0)

    t = ev.take
    return Prices(
        use(r.atp, t, r.atp_cap),
        use(r.node, t * r.ship, r.unit_cap),
        use(r.node, t * p.spread * r.kshare, r.order_cap),
        use(r.order, t * p.spread * r.tshare, r.parcel_cap),
        p.spread,
    )


def respread(r: Relaxation, units: np.ndarray, spread: np.ndarray, damping: float) -> np.ndarray:
    """Move each group's fixed costs towards the lines that fill ``units`` from it (keeping the
    mean 1 per group). Any spread with mean 1 over a group's lines gives a valid bound; the
    LP's own spread puts the cost on the lines that fill from the group."""
    used = units / r.ub
    total = np.bincount(r.group, weights=used)
    count = np.bincount(r.group)
    target = np.where(
        total[r.group] > 1e-9, used * count[r.group] / np.maximum(total[r.group], 1e-12), 1.0
    )
    return (1.0 - damping) * spread + damping * target


@dataclass(frozen=True)
class Ascent:
    """The best prices found, their bound, and how the search went."""

    prices: Prices
    bound: float
    evaluation: Evaluation
    iterations: int
    seconds: float


def ascend(
    r: Relaxation,
    target: float,
    iterations: int = 200,
    time_limit: float = 10.0,
    start: Prices | None = None,
    spread: bool = True,
) -> Ascent:
    """Projected subgradient ascent with Polyak steps towards ``target`` (a plan's objective).

    The step scale halves after 8 steps without a better bound; stops early when the bound is
    within 1e-4 of the target or the time is up. Deterministic."""
    t0 = time.perf_counter()
    p = zero_prices(r) if start is None else start.copy()
    best_ev = evaluate(r, p)
    best_p, best = p.copy(), best_ev.bound
    ev, scale, stale, done = best_ev, 1.0, 0, 0
    for done in range(1, iterations + 1):  # noqa: B007
        if target - best <= 1e-4 * max(1.0, abs(target)) or time.perf_counter() - t0 > time_limit:
            break
        g = _subgradient(r, ev, p)
        norm = float(
            g.atp @ g.atp + g.units @ g.units + g.orders @ g.orders + g.parcels @ g.parcels
        )
        if norm <= 1e-12:
            break  # the per-line optimum respects every row: it is optimal
        step = scale * max(target - ev.bound, 1e-6 * max(1.0, abs(target))) / norm
        p = Prices(
            np.maximum(p.atp + step * g.atp, 0.0),
            np.maximum(p.units + step * g.units, 0.0),
            np.maximum(p.orders + step * g.orders, 0.0),
            np.maximum(p.parcels + step * g.parcels, 0.0),
            respread(r, ev.take, p.spread, 0.5 * scale) if spread else p.spread,
        )
        ev = evaluate(r, p)
        if ev.bound > best + 1e-9 * max(1.0, abs(best)):
            best, best_p, best_ev, stale = ev.bound, p.copy(), ev, 0
        else:
            stale += 1
            if stale >= 8:
                scale, stale = scale / 2, 0
                p, ev = best_p.copy(), best_ev
    return Ascent(best_p, best, best_ev, done, time.perf_counter() - t0)


def prices_from_lp(r: Relaxation, arrays, row_dual: np.ndarray) -> Prices:
    """Prices from an LP's row duals (rows of ``arrays``, over any subset of the candidates),
    the spread of fixed costs from the duals of its link rows."""
    p = zero_prices(r)
    price = np.maximum(-row_dual, 0.0)
    for kind, target in (
        ("atp", p.atp),
        ("cap_units", p.units),
        ("cap_orders", p.orders),
        ("parcels", p.parcels),
    ):
        rows = np.flatnonzero(arrays.row_kind == kind)
        target[arrays.row_key[rows]] = price[rows]
    p.atp[~np.isfinite(r.atp_cap)] = 0.0
    p.units[~np.isfinite(r.unit_cap)] = 0.0
    p.orders[~np.isfinite(r.order_cap)] = 0.0
    p.parcels[~np.isfinite(r.parcel_cap)] = 0.0
    # The LP's own split of each group's fixed costs: the duals of its link rows x <= ub·y.
    link = np.flatnonzero(arrays.row_kind == "link")
    at = np.searchsorted(r.cand, arrays.x_cand[arrays.row_key[link]])
    charged = np.zeros(len(r.cand))
    charged[at] = price[link] * r.ub[at]
    fixed = (r.fshare + p.orders[r.node] * r.kshare + p.parcels[r.order] * r.tshare) * r.ub
    count = np.bincount(r.group)
    # A group the model represents by its only x (ub 1, no y) charges that x its whole cost.
    alias = arrays.group_col[arrays.group_col < arrays.offsets["y"]]
    at = np.searchsorted(r.cand, arrays.x_cand[alias])
    charged[at] = np.bincount(r.group, weights=fixed)[r.group[at]]
    per_group = np.bincount(r.group, weights=charged)
    spread = (
        charged * count[r.group] / np.maximum(np.bincount(r.group, weights=fixed)[r.group], 1e-12)
    )
    lp_split = per_group[r.group] > 1e-9
    p.spread = np.where(lp_split, spread, 1.0)
    # normalise to mean 1 per group (the LP may charge less than the whole fixed cost)
    mean = np.bincount(r.group, weights=p.spread) / count
    p.spread = np.where(mean[r.group] > 1e-12, p.spread / mean[r.group], 1.0)
    return p


def _trim(x: np.ndarray, keys: np.ndarray, cap: np.ndarray, priority: np.ndarray) -> None:
    """Cut x (in place) so that Σ x per key <= cap, keeping the highest-priority units."""
    over = np.bincount(keys, weights=x, minlength=len(cap)) > cap + 1e-9
    sel = np.flatnonzero((x > 0) & over[keys])
    if len(sel) == 0:
        return
    order = sel[np.lexsort((sel, -priority[sel], keys[sel]))]
    k = keys[order]
    x[order] = np.clip(cap[k] - weight_before(k, x[order]), 0.0, x[order])


def priced_plan(c: Candidates, r: Relaxation, ev: Evaluation) -> pl.DataFrame:
    """A plan from the per-line optimum at good prices: keep the units whose line would lose
    the most without them where stock or unit capacity is short, then repair and fill greedily
    (``optimizers.heuristics.rounding``)."""
    x = np.floor(ev.take + 1e-9)
    atp_val = c.atp.sort("atp_idx")["available_to_promise"].cast(pl.Float64).to_numpy()
    _trim(x, r.atp, atp_val, ev.regret)
    units = c.nodes.sort("node_idx")["cap_units"].cast(pl.Float64).to_numpy()
    ship = r.ship > 0
    x_ship = np.where(ship, x, 0.0)
    _trim(x_ship, r.node, units, ev.regret)
    x = np.where(ship, x_ship, x)
    return rounded_plan(c, x)
