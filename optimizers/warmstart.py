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
from optimizers.extract import fills_from_values
from optimizers.model import ModelArrays, row_subset, start_vector
from optimizers.polish import polish_fills
from optimizers.rounding import feasible, rounded_plan
from optimizers.solvers import highs_model, quiet_stdout
from optimizers.types import AllocationSettings

NEIGHBOURS_PER_LINE = 3
RENS_GAP = 0.002  # a start need not be proven; the main solve does that
# Node capacity rows couple every line of a node and make the dual simplex slow (12 s vs 4 s
# on the 2.6k-line sample): solve without them first, then add them and warm-start.
LATE_ROWS = ("cap_units", "cap_orders")


@dataclass(frozen=True)
class LPSolution:
    """The LP relaxation's optimum: bound (with the objective offset), primal and dual values."""

    bound: float
    values: np.ndarray
    reduced: np.ndarray  # reduced cost per column
    row_dual: np.ndarray  # HiGHS sign convention: <= 0 on binding "<=" rows of a minimisation


def solve_relaxation(
    arrays: ModelArrays, settings: AllocationSettings, time_limit: float, basis=None
):
    """(highs, LP solution or None, original row of each HiGHS row, row duals or None).

    A cold start solves without the capacity rows first (LATE_ROWS) and adds them after; a
    ``basis`` (from a previous, smaller model) starts HiGHS there instead. Out of time, the
    dual simplex's row duals are still returned: they are prices, and any prices bound."""
    import highspy

    late = np.isin(arrays.row_kind, LATE_ROWS) if basis is None else np.zeros(0, bool)
    if late.any():  # cold start: the capacity rows slow the first solve down; add them after
        highs = highs_model(row_subset(arrays, ~late), settings, relax=True, time_limit=time_limit)
        t0 = time.perf_counter()
        with quiet_stdout():
            highs.run()
        rows = row_subset(arrays, late)
        inf = highspy.kHighsInf
        highs.addRows(
            rows.n_rows, np.where(np.isinf(rows.row_lb), -inf, rows.row_lb),
            np.where(np.isinf(rows.row_ub), inf, rows.row_ub), len(rows.data),
            rows.indptr[:-1].astype(np.int32), rows.indices.astype(np.int32), rows.data,
        )  # fmt: skip
        highs.setOptionValue("time_limit", max(0.01, time_limit - (time.perf_counter() - t0)))
        order = np.r_[np.flatnonzero(~late), np.flatnonzero(late)]
    else:
        highs = highs_model(arrays, settings, relax=True, time_limit=time_limit)
        if basis is not None:
            highs.setBasis(basis)
        order = np.arange(arrays.n_rows)
    with quiet_stdout():
        highs.run()
    sol = highs.getSolution()
    dual = np.empty(arrays.n_rows)
    if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        if not sol.dual_valid:
            return highs, None, order, None
        # Out of time: the dual simplex's duals are still prices, and any prices bound.
        dual[order] = np.asarray(sol.row_dual, dtype=np.float64)
        return highs, None, order, dual
    dual[order] = np.asarray(sol.row_dual, dtype=np.float64)
    lp = LPSolution(
        float(highs.getInfo().objective_function_value) + arrays.objective_offset,
        np.asarray(sol.col_value, dtype=np.float64),
        np.asarray(sol.col_dual, dtype=np.float64),
        dual,
    )
    return highs, lp, order, dual


def lp_relaxation(arrays: ModelArrays, settings: AllocationSettings) -> LPSolution | None:
    """The LP relaxation's optimum, or None if it did not solve within the time limit."""
    return solve_relaxation(arrays, settings, settings.time_limit_s)[1]


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
        line_sorted = arrays.x_line[order]
        first = np.r_[True, line_sorted[1:] != line_sorted[:-1]]
        rank = np.arange(nx) - np.maximum.accumulate(np.where(first, np.arange(nx), 0))
        keep[order[rank < NEIGHBOURS_PER_LINE]] = True
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


def proven(objective: float, bound: float | None, gap: float) -> bool:
    """The plan's objective is within ``gap`` (relative) of the lower bound."""
    if bound is None or not np.isfinite(objective):
        return False
    return max(0.0, objective - bound) <= gap * max(abs(objective), 1e-9)
