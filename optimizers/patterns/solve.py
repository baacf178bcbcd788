"""One solve path for every size: patterns, their bound, an integer plan, polish.

    candidates -> per-order problems -> column generation (prices, bound)
               -> dive (settle, contest MIP) -> local search -> plan

The bound is the best Lagrangian bound of the column generation, valid for the whole problem
(every candidate of every order is priced exactly). Every stage stops on work done (rounds,
steps, nodes), so the same inputs and settings give the same plan; ``time_limit_s`` is a
safety net that only an unusually hard run reaches.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from optimizers.candidates import Candidates
from optimizers.candidates.prepare import NO_LIMIT
from optimizers.patterns.columns import (
    Patterns,
    coupling_rows,
    pattern_costs,
    patterns_from_take,
)
from optimizers.patterns.dive import dive
from optimizers.patterns.generation import MAX_ROUNDS, Generation, generate
from optimizers.patterns.local import room_of
from optimizers.patterns.master import Master
from optimizers.patterns.polish import polish
from optimizers.patterns.problem import OrderProblems
from optimizers.patterns.submip import solve_contest
from optimizers.settings import AllocationSettings

PRICING_ROUNDS = MAX_ROUNDS  # column generation stops here at the latest (work, not time)
GENERATION_SHARE = 0.6  # of the time limit, the most column generation may take
# The restricted master as one MIP (every generated pattern, the polished plan as incumbent)
# where it pays: the plan is still above mip_gap and the master is small enough to branch on.
MASTER_MIP_COLUMNS = 20_000
MASTER_MIP_NODES = 500


@dataclass(frozen=True)
class PatternRun:
    """The plan (fills), its bound and how the solve went."""

    fills: pl.DataFrame
    bound: float
    lp: float  # the master LP at the end of column generation
    seconds: dict[str, float] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        f = self.figures
        parts = f" in {f['parts']} parts" if f["parts"] > 1 else ""
        return (
            f"patterns{parts}: {f['rounds']} pricing round(s), {f['columns']:,} patterns over "
            f"{f['orders']:,} orders, {f['rows']:,} of {f['coupling_rows']:,} coupling rows in "
            f"the master; {f['settled']:,} orders settled by the LP, {f['contested']:,} "
            f"contested ({f['contest']}); local search: {f['moves']:,} moves, "
            f"{f['pair_moves']:,} pair exchanges; master MIP: {f['master_mip']}"
        )


def _capacities(c: Candidates) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    atp = c.atp.sort("atp_idx")["available_to_promise"].cast(pl.Float64).to_numpy()
    nodes = c.nodes.sort("node_idx")
    units = nodes["cap_units"].cast(pl.Float64).to_numpy()
    units = np.where(units >= NO_LIMIT, np.inf, units)
    orders = nodes["cap_orders"].cast(pl.Float64).fill_null(np.inf).to_numpy()
    return atp, units, orders


def _take_of(op: OrderProblems, fills: pl.DataFrame) -> np.ndarray:
    """Per-candidate units (OrderProblems order) of a plan given as fills."""
    take = np.zeros(op.n_cands, dtype=np.int64)
    if fills.height:
        take[op.positions(fills["cand_idx"].to_numpy())] = fills["quantity"].to_numpy()
    return take


def _master_mip(
    op: OrderProblems, master: Master, plan: Patterns, bound: float, mip_gap: float, left: float
) -> tuple[Patterns, str]:
    """The plan, or a cheaper one from the restricted master's MIP where that pays."""
    objective = op.offset + float(pattern_costs(op, plan).sum())
    if objective - bound <= mip_gap * abs(objective) or master.n_cols > MASTER_MIP_COLUMNS:
        return plan, "skipped"
    if left <= 0:
        return plan, "no time left"
    start = master.n_cols + np.arange(plan.n)
    master.add(plan, pattern_costs(op, plan))
    free = np.ones(op.n_orders, dtype=bool)
    abs_gap = mip_gap * abs(bound) / 10
    chosen = solve_contest(master, free, [], abs_gap, start, MASTER_MIP_NODES, left)
    if chosen is None:
        return plan, "no plan"
    pats, costs = master.all_patterns()
    if op.offset + float(costs[chosen].sum()) >= objective - 1e-9:
        return plan, "no better plan"
    return pats.take(chosen[np.argsort(pats.order[chosen], kind="stable")]), "improved"


@dataclass(frozen=True)
class Capacities:
    """Stock per atp key, shipped units and shipped orders per node (inf = no limit)."""

    atp: np.ndarray
    units: np.ndarray
    orders: np.ndarray


def capacities_of(c: Candidates) -> Capacities:
    return Capacities(*_capacities(c))


@dataclass(frozen=True)
class Solved:
    """One (part of a) run solved: units per candidate, bound, prices, how it went."""

    take: np.ndarray
    generation: Generation
    seconds: dict[str, float]
    figures: dict[str, Any]


def solve_problems(
    op: OrderProblems,
    caps: Capacities,
    start_take: np.ndarray,
    settings: AllocationSettings,
    time_limit: float,
) -> Solved:
    """Generation, dive, polish and (where it pays) the master MIP of one set of orders."""
    t0 = time.perf_counter()
    rows = coupling_rows(op, caps.atp, caps.units, caps.orders)
    start_orders = np.flatnonzero(
        np.bincount(op.order_of_cand(), weights=start_take, minlength=op.n_orders) > 0
    )
    gen = generate(
        op,
        rows,
        [patterns_from_take(op, start_take, start_orders)],
        tolerance=min(1e-5, settings.mip_gap / 10),
        time_limit=GENERATION_SHARE * time_limit,
        threads=settings.threads,
        max_rounds=PRICING_ROUNDS,
    )
    t1 = time.perf_counter()
    dived = dive(op, rows, gen.master, room_of(caps.atp, caps.units, caps.orders), settings.mip_gap)
    t2 = time.perf_counter()
    room = room_of(caps.atp, caps.units, caps.orders)
    polished = polish(op, room, dived.take, gen.master, gen.solution)
    t3 = time.perf_counter()
    plan = patterns_from_take(op, polished.take, np.arange(op.n_orders))
    left = time_limit - (t3 - t0)
    plan, mip = _master_mip(op, gen.master, plan, gen.bound, settings.mip_gap, left)
    take = plan.units(op.n_cands)
    return Solved(
        take,
        gen,
        {
            "generation": t1 - t0,
            "dive": t2 - t1,
            "polish": t3 - t2,
            "master_mip": time.perf_counter() - t3,
        },
        {
            "orders": op.n_orders,
            "rounds": gen.rounds,
            "columns": gen.master.n_cols,
            "rows": gen.master.n_lp_rows - op.n_orders,
            "coupling_rows": rows.n,
            "cut_orders": gen.cut_orders,
            "settled": op.n_orders - dived.contested,
            "contested": dived.contested,
            "contest": dived.contest,
            "moves": polished.moves,
            "pair_moves": polished.pair_moves,
            "master_mip": mip,
        },
    )
