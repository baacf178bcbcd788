"""Large runs: column generation per part, one plan, one bound over every candidate.

Up to PARTITION_LINES lines the whole run is one part. Above, orders are split into parts of
about PART_LINES lines and every shared capacity (stock per node and sku, units and orders per
node) is divided between the parts in proportion to what each part could use (largest
remainder, so the shares add up exactly): the parts' plans then combine into a plan that
respects every row. Each part's LP grows by column generation, its settled lines are fixed and
HiGHS decides the rest. The bound is the Lagrangian relaxation's over every candidate of the
whole run, from the parts' prices, so it holds whatever the split was.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
import polars as pl

from optimizers.candidates import Candidates
from optimizers.candidates.prepare import NO_LIMIT
from optimizers.decomposition.clearing import auction
from optimizers.decomposition.colgen import ColumnGeneration, column_generation, starting_set
from optimizers.decomposition.lagrange import (
    Prices,
    Relaxation,
    evaluate,
    relaxation,
    zero_prices,
)
from optimizers.heuristics.rounding import rounded_plan
from optimizers.heuristics.warmstart import warm_start
from optimizers.model.arrays import fills_from_values
from optimizers.model.objective import FILLS_SCHEMA
from optimizers.settings import AllocationSettings

PARTITION_LINES = 30_000
PART_LINES = 20_000
CG_SHARE = 0.75  # of a part's time, for its LP rounds; the rest for its restricted MIP


@dataclass(frozen=True)
class LargeRun:
    """The combined plan (fills), the parts' prices mapped onto the whole run, how it went."""

    fills: pl.DataFrame
    prices: Prices
    bound: float | None  # best bound a part's prices gave for the whole run, if computed
    parts: list[ColumnGeneration]
    seconds: float


def _shares(
    total: np.ndarray, part: np.ndarray, key: np.ndarray, weight: np.ndarray, n_parts: int
) -> np.ndarray:
    """(n_parts, n_keys) integer shares of each key's total, by each part's weight on it."""
    n_keys = len(total)
    demand = np.zeros((n_parts, n_keys))
    np.add.at(demand, (part, key), weight)
    whole = demand.sum(axis=0)
    frac = np.divide(demand, whole, out=np.full_like(demand, 1.0 / n_parts), where=whole > 0)
    finite = np.isfinite(total)
    raw = frac * np.where(finite, total, 0.0)
    share = np.floor(raw)
    left = np.where(finite, total, 0.0) - share.sum(axis=0)
    order = np.argsort(-(raw - share), axis=0, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(n_parts)[:, None].repeat(n_keys, 1), axis=0)
    share += rank < np.round(left)
    return np.where(finite, share, total)


def split(c: Candidates, n_parts: int, use: np.ndarray) -> list[Candidates]:
    """The run as ``n_parts`` parts of whole orders, capacities divided by ``use`` (units per
    candidate, in cand_idx order: e.g. the relaxation's optimum at clearing prices)."""
    cand = c.candidates
    orders = np.unique(cand["order_idx"].to_numpy())
    part_of_order = np.zeros(int(orders.max()) + 1, dtype=np.int64)
    part_of_order[orders] = np.arange(len(orders)) * n_parts // len(orders)
    part = part_of_order[cand["order_idx"].to_numpy()]
    ub = cand["ub"].cast(pl.Float64).to_numpy()
    ub = use + 1e-3 * ub  # where nobody would use a row at those prices: by what could
    ship = cand["is_ship"].to_numpy().astype(bool)
    atp = c.atp.sort("atp_idx")
    nodes = c.nodes.sort("node_idx")
    atp_total = atp["available_to_promise"].cast(pl.Float64).to_numpy()
    units_total = nodes["cap_units"].cast(pl.Float64).to_numpy()
    units_total = np.where(units_total >= NO_LIMIT, np.inf, units_total)
    orders_total = nodes["cap_orders"].cast(pl.Float64).fill_null(np.inf).to_numpy()
    node = cand["node_idx"].to_numpy()
    atp_share = _shares(atp_total, part, cand["atp_idx"].to_numpy(), ub, n_parts)
    units_share = _shares(units_total, part[ship], node[ship], ub[ship], n_parts)
    pairs = cand.filter(pl.col("is_ship")).unique("pair_idx")
    pair_part = part_of_order[pairs["order_idx"].to_numpy()]
    orders_share = _shares(
        orders_total, pair_part, pairs["node_idx"].to_numpy(), np.ones(pairs.height), n_parts
    )
    parts = []
    for k in range(n_parts):
        mine = pl.Series(orders[part_of_order[orders] == k]).implode()
        units = np.where(np.isinf(units_share[k]), NO_LIMIT, units_share[k]).astype(np.int64)
        cap_orders = pl.Series(
            [None if np.isinf(v) else int(v) for v in orders_share[k].tolist()], dtype=pl.Int64
        )
        parts.append(
            replace(
                c,
                candidates=cand.filter(pl.col("order_idx").is_in(mine)),
                atp=atp.with_columns(available_to_promise=pl.Series(atp_share[k]).cast(pl.Int64)),
                nodes=nodes.with_columns(cap_units=pl.Series(units), cap_orders=cap_orders),
            )
        )
    return parts


def _solve_part(
    part: Candidates,
    base: pl.DataFrame,
    per_line: int,
    settings: AllocationSettings,
    budget: float,
) -> tuple[pl.DataFrame, ColumnGeneration, Relaxation]:
    """Column generation, then the restricted MIP with settled lines fixed, within budget."""
    t0 = time.perf_counter()
    r = relaxation(part)
    start = starting_set(r, per_line, base["cand_idx"].to_numpy())
    cg = column_generation(part, r, start, settings, CG_SHARE * budget)
    left = budget - (time.perf_counter() - t0)
    warm = warm_start(
        cg.candidates,
        cg.arrays,
        settings,
        base,
        lp=cg.lp,
        solve_lp=False,
        fix_settled=True,
        rens_budget=max(left, 0.5),
    )
    if warm.values is None:
        return pl.DataFrame(schema=FILLS_SCHEMA), cg, r
    return fills_from_values(cg.arrays, warm.values), cg, r


def solve_large(
    c: Candidates,
    whole: Relaxation,
    base: pl.DataFrame,
    per_line: int,
    settings: AllocationSettings,
    budget: float,
) -> LargeRun:
    """Plan the run in parts within ``budget`` seconds (see the module docstring); ``whole``
    is the relaxation of all of ``c``."""
    t0 = time.perf_counter()
    n_lines = c.candidates["line_idx"].n_unique()
    n_parts = 1 if n_lines <= PARTITION_LINES else -(-n_lines // PART_LINES)
    prices = zero_prices(whole)
    if n_parts == 1:
        parts = [c]
    else:  # divide the capacities by where units go at clearing prices
        cleared = auction(whole, rounds=40, time_limit=0.1 * budget)
        prices = cleared.prices.copy()
        parts = split(c, n_parts, cleared.evaluation.take)
    fills, runs, best, part_prices = [], [], None, []
    for k, part in enumerate(parts):
        left = budget - (time.perf_counter() - t0)
        own_base = base if n_parts == 1 else base.clear()  # the baseline uses whole stocks
        part_fills, cg, r = _solve_part(
            part, own_base, per_line, settings, max(left / (n_parts - k), 1.0)
        )
        fills.append(part_fills)
        runs.append(cg)
        if cg.prices is not None and n_parts == 1:
            prices, best = cg.prices, cg.bound
        elif cg.prices is not None:
            part_prices.append((cg.prices, r))
    if part_prices:  # the parts' prices, or the clearing prices if those bound better
        merged = _merged(whole, part_prices)
        if evaluate(whole, merged).bound > evaluate(whole, prices).bound:
            prices = merged
    combined = pl.concat(fills)
    if n_parts > 1:  # what one part left unused, another's short lines may take
        x = np.zeros(len(whole.cand))
        x[np.searchsorted(whole.cand, combined["cand_idx"].to_numpy())] = combined["quantity"]
        combined = rounded_plan(c, x)
    return LargeRun(combined, prices, best, runs, time.perf_counter() - t0)


def _merged(whole: Relaxation, parts: list[tuple[Prices, Relaxation]]) -> Prices:
    """One set of prices for the whole run from the parts': the median price of each shared
    row (measured at 20k lines in 3 parts: a better bound than the mean, max or min), each
    order's parcel price and each candidate's spread from the part that holds it."""
    p = zero_prices(whole)
    for name in ("atp", "units", "orders"):
        setattr(p, name, np.median(np.stack([getattr(q, name) for q, _ in parts]), axis=0))
    for q, r in parts:
        np.maximum(p.parcels, q.parcels, out=p.parcels)
        p.spread[np.searchsorted(whole.cand, r.cand)] = q.spread
    return p
