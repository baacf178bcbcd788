"""A good starting plan, fast: the LP relaxation, then a small MIP on the LP's neighbourhood.

RENS-like: the MIP is solved over the candidates the LP uses plus, per line, the few
candidates with the smallest reduced cost; everything else is fixed to 0. The restricted
model always has a plan (all backorders), its plans are plans of the full model, and the LP
optimum is a valid lower bound on the full model, so it also proves how good any plan is.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import polars as pl

from optimizers.candidates import Candidates
from optimizers.heuristics.polish import polish_fills
from optimizers.heuristics.rounding import rounded_plan
from optimizers.model.arrays import ModelArrays, feasible, fills_from_values, start_vector
from optimizers.model.objective import proven
from optimizers.segments import rank_in_runs
from optimizers.settings import AllocationSettings
from optimizers.solve.highspy_solver import highs_model
from optimizers.solve.outcome import quiet_stdout
from optimizers.solve.relaxation import LPSolution, lp_relaxation

NEIGHBOURS_PER_LINE = 3
RENS_GAP = 0.002  # a start need not be proven; the main solve does that


def settled_lines(arrays: ModelArrays, values: np.ndarray) -> np.ndarray:
    """Per x column: its line is settled in the LP (every x integral, and every group it fills
    from fully open), so fixing those x keeps every row satisfiable."""
    nx = len(arrays.x_cand)
    x = values[:nx]
    group_value = x.copy()  # a group the model represents by its only x: x itself
    link = np.flatnonzero(arrays.row_kind == "link")
    starts, ends = arrays.indptr[link], arrays.indptr[link] + 2
    a, b = arrays.indices[starts], arrays.indices[ends - 1]
    xcol = arrays.row_key[link]
    ycol = np.where(a == xcol, b, a)
    group_value[xcol] = values[ycol]
    ok = (np.abs(x - np.round(x)) < 1e-6) & ((x < 1e-6) | (group_value > 1 - 1e-6))
    lines, pos = np.unique(arrays.x_line, return_inverse=True)
    bad = np.bincount(pos.reshape(-1), weights=~ok, minlength=len(lines)) > 0
    return ~bad[pos.reshape(-1)]


def rens_start(
    arrays: ModelArrays,
    settings: AllocationSettings,
    lp: LPSolution,
    time_limit: float,
    fix_settled: bool = False,
) -> np.ndarray | None:
    """A plan from the MIP restricted to the LP's support and each line's best neighbour
    (with ``fix_settled``: lines the LP settled integrally are fixed, the MIP decides the
    rest — far smaller on large runs where most lines are settled)."""
    values, reduced = lp.values, lp.reduced
    nx = len(arrays.x_cand)
    keep = values[:nx] > 1e-6
    if NEIGHBOURS_PER_LINE and nx:
        order = np.lexsort((reduced[:nx], arrays.x_line))
        keep[order[rank_in_runs(arrays.x_line[order]) < NEIGHBOURS_PER_LINE]] = True
    col_ub = arrays.col_ub.copy()
    col_ub[:nx] = np.where(keep, col_ub[:nx], 0.0)
    col_lb = None
    if fix_settled and nx:
        fixed = settled_lines(arrays, values)
        col_lb = arrays.col_lb.copy()
        x = np.round(values[:nx])
        col_lb[:nx] = np.where(fixed, x, col_lb[:nx])
        col_ub[:nx] = np.where(fixed, x, col_ub[:nx])
    highs = highs_model(arrays, settings, col_ub=col_ub, time_limit=time_limit, col_lb=col_lb)
    highs.setOptionValue("mip_rel_gap", max(settings.mip_gap, RENS_GAP))
    with quiet_stdout():
        highs.run()
    if highs.getInfo().primal_solution_status != 2:
        return None
    return np.asarray(highs.getSolution().col_value, dtype=np.float64)[: arrays.n_cols]


@dataclass(frozen=True)
class WarmStart:
    """The best starting plan found (column values), the LP bound, and the time it took."""

    values: np.ndarray | None
    lp_bound: float | None
    seconds: float
    lp: LPSolution | None = None


def warm_start(
    c: Candidates,
    arrays: ModelArrays,
    settings: AllocationSettings,
    base: pl.DataFrame,
    lp: LPSolution | None = None,
    solve_lp: bool = True,
    fix_settled: bool = False,
    rens_budget: float | None = None,
) -> WarmStart:
    """LP bound, RENS plan and the baseline, polished; the cheapest one becomes the start.

    ``lp`` is the model's LP relaxation when the caller has it already (column generation);
    otherwise it is solved here unless ``solve_lp`` is false. Spends at most ~30 % of
    settings.time_limit_s on the RENS MIP."""
    t0 = time.perf_counter()
    best, best_cost = None, np.inf

    def consider(fills: pl.DataFrame) -> None:
        nonlocal best, best_cost
        values = start_vector(arrays, c, polish_fills(c, fills))
        if (
            values is not None
            and arrays.cost @ values < best_cost - 1e-9
            and feasible(arrays, values)
        ):
            best, best_cost = values, float(arrays.cost @ values)

    consider(base)
    lp_bound = None
    if lp is None and solve_lp:
        lp = lp_relaxation(arrays, settings)
    if lp is not None:
        lp_bound = lp.bound
        consider(rounded_plan(c, lp.values))
        if not proven(best_cost + arrays.objective_offset, lp_bound, settings.mip_gap):
            left = settings.time_limit_s - (time.perf_counter() - t0)
            budget = max(0.05, min(0.3 * settings.time_limit_s, 0.5 * left))
            if rens_budget is not None:
                budget = max(0.05, rens_budget - (time.perf_counter() - t0))
            rens = rens_start(arrays, settings, lp, budget, fix_settled)
            if rens is not None:
                consider(fills_from_values(arrays, rens))
    return WarmStart(best, lp_bound, time.perf_counter() - t0, lp)
