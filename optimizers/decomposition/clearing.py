"""Market-clearing prices for the Lagrangian bound: an auction instead of blind subgradient steps.

Subgradient steps move every price by the same rule and converge slowly (thousands of steps).
Here each stock key (node, sku) and each node's unit capacity is priced like an auction: where
the per-line optimum asks for more units than there are, the price rises just enough that the
units with the least to lose (smallest regret: next option's rate minus this one) go elsewhere;
where a priced row has room, the price falls just enough to win back the cheapest units that
left. Every price vector gives a valid bound (``optimizers.decomposition.lagrange``), so the
search keeps the best one it meets; rounds are vectorised over all keys at once.
"""

from __future__ import annotations

import time

import numpy as np

from optimizers.decomposition.lagrange import (
    Ascent,
    Evaluation,
    Prices,
    Relaxation,
    evaluate,
    respread,
    zero_prices,
)
from optimizers.segments import weight_before


def _nth_in_segment(
    keys: np.ndarray, values: np.ndarray, units: np.ndarray, position: np.ndarray, descending: bool
) -> np.ndarray:
    """Per key: the value at unit ``position[key]`` when the key's items are sorted by value
    (each item counting ``units``); NaN where the key has fewer units than that."""
    out = np.full(len(position), np.nan)
    if len(keys) == 0:
        return out
    order = np.lexsort((-values if descending else values, keys))
    k, v, u = keys[order], values[order], units[order]
    prior = weight_before(k, u)
    hit = (prior <= position[k]) & (prior + u > position[k])
    out[k[hit]] = v[hit]
    return out


def _clear(keys, cap, price, take, ub, regret, eps) -> np.ndarray:
    """New prices for one family of rows (stock keys or node unit capacity)."""
    finite = np.isfinite(cap)
    demand = np.bincount(keys, weights=take, minlength=len(cap))
    new = price.copy()
    over = finite & (demand > cap + 1e-9)
    if over.any():
        takers = np.flatnonzero((take > 0) & over[keys])
        # the first unit beyond the capacity, by regret: raise the price past its regret
        rho = _nth_in_segment(
            keys[takers], regret[takers], take[takers], np.where(over, cap, 0.0), descending=True
        )
        up = over & ~np.isnan(rho)
        new[up] = price[up] + np.maximum(rho[up], 0.0) + eps
    under = finite & (demand < cap - 1e-9) & (price > 0)
    if under.any():
        joiners = np.flatnonzero((take < ub - 1e-9) & under[keys])
        room = ub[joiners] - take[joiners]
        gap = np.maximum(-regret[joiners], 0.0)  # what a unit outside would need to come in
        need = np.where(under, cap - demand - 1.0, 0.0).clip(min=0.0)
        g = _nth_in_segment(keys[joiners], gap, room, need, descending=False)
        down = under & ~np.isnan(g)
        new[down] = np.maximum(price[down] - g[down], 0.0)
        rest = under & np.isnan(g)  # not enough units want it even for free: no price
        new[rest] = 0.0
    return new


def clear_prices(r: Relaxation, p: Prices, ev: Evaluation, eps: float) -> Prices:
    """One auction round on stock and unit capacity, a spread update, order rows untouched."""
    atp = _clear(r.atp, r.atp_cap, p.atp, ev.take, r.ub, ev.regret, eps)
    ship = r.ship > 0
    units = _clear(
        r.node[ship], r.unit_cap, p.units, ev.take[ship], r.ub[ship], ev.regret[ship], eps
    )
    return Prices(atp, units, p.orders, p.parcels, respread(r, ev.take, p.spread, 0.5))


def auction(
    r: Relaxation,
    rounds: int = 60,
    time_limit: float = 10.0,
    start: Prices | None = None,
) -> Ascent:
    """Auction rounds from ``start`` (zeros by default); the best bound met is returned."""
    t0 = time.perf_counter()
    p = zero_prices(r) if start is None else start.copy()
    ev = evaluate(r, p)
    best, best_p, best_ev = ev.bound, p.copy(), ev
    eps = 1e-4 * float(np.median(r.unit_obj)) if len(r.unit_obj) else 0.0
    done = 0
    for done in range(1, rounds + 1):  # noqa: B007
        if time.perf_counter() - t0 > time_limit:
            break
        p = clear_prices(r, p, ev, eps)
        ev = evaluate(r, p)
        if ev.bound > best:
            best, best_p, best_ev = ev.bound, p.copy(), ev
    return Ascent(best_p, best, best_ev, done, time.perf_counter() - t0)
