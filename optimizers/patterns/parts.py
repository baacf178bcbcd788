"""Runs too big for one master: parts of orders that share the stock and capacities.

The master LP grows with the orders (measured: 20k lines 0.5-3 s an interior-point solve,
100k lines 20 s), so above ``PART_ORDERS`` orders the run is split into parts of about that
size, *interleaved* (order k goes to part k mod n): every part sees the whole network and
about the same mix of demand, so its prices estimate the whole run's. Each key's capacity is
divided among the parts in proportion to what their candidates could take (largest
remainders, integral, summing to the capacity), each part is solved on its own, and the
plans are joined (feasible: the shares add up) and polished together against the whole
capacities, which also hands each part's leftovers to the others.

The bound stays valid for the whole problem: the Lagrangian bound holds at *any* prices, so
it is evaluated over every order and candidate of the run at each part's best prices and at
their average (prices on keys that bind only within a part are dropped, so nothing is charged
that the whole run's capacity does not pay for), then improved by projected subgradient steps
on the whole run (each step one exact pricing of every order); the best is reported.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import polars as pl

from optimizers.candidates import Candidates
from optimizers.patterns.columns import (
    CouplingRows,
    Prices,
    coefficients,
    coupling_rows,
    fills_of,
    pattern_costs,
    patterns_from_take,
    potential_use,
)
from optimizers.patterns.generation import lagrangian_bound
from optimizers.patterns.local import improve, place, room_of
from optimizers.patterns.pricing import price_orders
from optimizers.patterns.problem import OrderProblems, order_problems
from optimizers.patterns.solve import (
    Capacities,
    PatternRun,
    Solved,
    solve_problems,
)
from optimizers.settings import AllocationSettings

PART_ORDERS = 12_000  # about 20k lines: a master that solves in seconds
JOINT_PASSES = 2  # best-response passes over the joined plan
ASCENT_STEPS = 30  # subgradient steps on the whole run's prices, after the parts'
ASCENT_SCALE = 1.0  # Polyak step factor, halved whenever a step does not improve


def _parts(c: Candidates, n_parts: int) -> list[Candidates]:
    """The run's orders dealt into ``n_parts`` interleaved parts (whole orders)."""
    orders = c.candidates["order_idx"].unique().sort()
    part_of = pl.DataFrame({"order_idx": orders, "_part": np.arange(orders.len()) % n_parts})
    out = []
    for k in range(n_parts):
        mine = part_of.filter(pl.col("_part") == k).select("order_idx")
        out.append(
            replace(
                c,
                candidates=c.candidates.join(mine, on="order_idx", how="semi"),
                groups=c.groups.join(mine, on="order_idx", how="semi"),
                pairs=c.pairs.join(mine, on="order_idx", how="semi"),
                lines=c.lines.join(mine, on="order_idx", how="semi"),
            )
        )
    return out


def _divided(cap: np.ndarray, demand: np.ndarray) -> np.ndarray:
    """Per part × key: integral shares of ``cap`` in proportion to ``demand`` (parts × keys),
    largest remainders first (ties to the lower part), summing to ``cap``; inf stays inf."""
    n_parts = demand.shape[0]
    total = demand.sum(axis=0)
    weight = np.where(total > 0, demand / np.where(total > 0, total, 1.0), 1.0 / n_parts)
    finite = np.isfinite(cap)
    whole = np.where(finite, cap, 0.0)
    exact = weight * whole
    share = np.floor(exact + 1e-9)
    left = np.round(whole - share.sum(axis=0)).astype(np.int64)
    rank = np.argsort(np.argsort(-(exact - share), axis=0, kind="stable"), axis=0)
    share += rank < left
    return np.where(finite, share, np.inf)


def solve_in_parts(
    c: Candidates,
    op: OrderProblems,
    caps: Capacities,
    start_take: np.ndarray,
    settings: AllocationSettings,
    problems_seconds: float,
) -> PatternRun:
    """Solve the parts, join and polish their plans, bound the whole run."""
    t0 = time.perf_counter()
    n_parts = int(np.ceil(op.n_orders / PART_ORDERS))
    problems = [order_problems(part) for part in _parts(c, n_parts)]
    demand = [potential_use(p, len(caps.atp), len(caps.units)) for p in problems]
    shares = [
        _divided(cap, np.stack([d[i] for d in demand]))
        for i, cap in enumerate((caps.atp, caps.units, caps.orders))
    ]
    t1 = time.perf_counter()
    take = np.zeros(op.n_cands, dtype=np.int64)
    solved: list[Solved] = []
    for k, part in enumerate(problems):
        at = op.positions(part.cand)
        part_caps = Capacities(shares[0][k], shares[1][k], shares[2][k])
        one = solve_problems(
            part, part_caps, start_take[at], settings, settings.time_limit_s / n_parts
        )
        take[at] = one.take
        solved.append(one)
    t2 = time.perf_counter()
    room = room_of(caps.atp, caps.units, caps.orders)
    take = place(op, room, np.arange(op.n_orders), take)
    moves = improve(op, room, take, np.arange(op.n_orders), JOINT_PASSES)
    t3 = time.perf_counter()
    plan_objective = op.offset + float(
        pattern_costs(op, patterns_from_take(op, take, np.arange(op.n_orders))).sum()
    )
    bound, steps = _best_bound(op, caps, [s.generation.prices for s in solved], plan_objective)
    t4 = time.perf_counter()
    figures = {
        key: sum(s.figures[key] for s in solved)
        for key in ("orders", "columns", "rows", "coupling_rows", "cut_orders", "settled")
    }
    figures |= {
        "rounds": max(s.figures["rounds"] for s in solved),
        "contested": sum(s.figures["contested"] for s in solved),
        "contest": "/".join(sorted({s.figures["contest"] for s in solved})),
        "moves": sum(s.figures["moves"] for s in solved) + moves,
        "pair_moves": sum(s.figures["pair_moves"] for s in solved),
        "master_mip": "/".join(sorted({s.figures["master_mip"] for s in solved})),
        "parts": n_parts,
        "ascent_steps": steps,
    }
    seconds = {"problems": problems_seconds + (t1 - t0)}
    for key in ("generation", "dive", "polish", "master_mip"):
        seconds[key] = sum(s.seconds[key] for s in solved)
    seconds |= {"joint_polish": t3 - t2, "bound": t4 - t3}
    return PatternRun(
        fills=fills_of(op, patterns_from_take(op, take, np.arange(op.n_orders))),
        bound=bound,
        lp=op.offset
        + sum(s.generation.lp - p.offset for s, p in zip(solved, problems, strict=True)),
        seconds=seconds,
        figures=figures,
    )


def _row_prices(rows: CouplingRows, p: Prices) -> np.ndarray:
    """Per coupling row of the whole run: its price in ``p`` (keys without a row dropped)."""
    out = np.zeros(rows.n)
    for row_of, price in (
        (rows.atp_row, p.atp),
        (rows.unit_row, p.units),
        (rows.order_row, p.orders),
    ):
        has = row_of >= 0
        out[row_of[has]] = price[has]
    return out


def _best_bound(
    op: OrderProblems, caps: Capacities, prices: list[Prices], target: float
) -> tuple[float, int]:
    """(bound, ascent steps): the best Lagrangian bound of the whole run from the parts'
    prices and their average, then ASCENT_STEPS projected subgradient steps (Polyak steps
    towards the plan's objective ``target``); every point evaluated is a valid bound."""
    rows = coupling_rows(op, caps.atp, caps.units, caps.orders)
    average = Prices(
        np.mean([p.atp for p in prices], axis=0),
        np.mean([p.units for p in prices], axis=0),
        np.mean([p.orders for p in prices], axis=0),
    )

    def evaluate(row_price: np.ndarray) -> tuple[float, np.ndarray]:
        at = Prices.of_rows(rows, row_price)
        priced = price_orders(op, at.rate(op), at.pair_ship(op))
        bound = lagrangian_bound(op, rows, at, priced)
        _, row, val = coefficients(op, rows, patterns_from_take(op, priced.take, everyone))
        return bound, np.bincount(row, weights=val, minlength=rows.n) - rows.cap

    everyone = np.arange(op.n_orders)
    best, best_price, best_slope = -np.inf, np.zeros(rows.n), np.zeros(rows.n)
    for p in [*prices, average]:
        price = _row_prices(rows, p)
        bound, slope = evaluate(price)
        if bound > best:
            best, best_price, best_slope = bound, price, slope
    price, slope, scale, steps = best_price, best_slope, ASCENT_SCALE, 0
    for steps in range(1, ASCENT_STEPS + 1):  # noqa: B007
        norm = float(slope @ slope)
        if norm <= 0 or target - best <= 0:
            break
        price = np.maximum(0.0, price + scale * (target - best) / norm * slope)
        bound, slope = evaluate(price)
        if bound > best:
            best = bound
        else:
            scale /= 2  # overshot: shorter steps
    return best, steps
