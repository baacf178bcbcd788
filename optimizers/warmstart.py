"""A good starting plan, fast: the LP relaxation, then a small MIP on the LP's neighbourhood.

RENS-like: the MIP is solved over the candidates the LP uses plus, per line, the candidate with
the smallest reduced cost; everything else is fixed to 0. The restricted model always has a
plan (all backorders), its plans are plans of the full model, and the LP optimum is a valid
lower bound on the full model, so it also proves how good any plan is.
"""

from __future__ import annotations

import numpy as np

from optimizers.model import ModelArrays
from optimizers.solvers import highs_model, quiet_stdout
from optimizers.types import AllocationSettings

NEIGHBOURS_PER_LINE = 3


def lp_relaxation(
    arrays: ModelArrays, settings: AllocationSettings
) -> tuple[float, np.ndarray] | None:
    """(LP bound including the objective offset, LP column values), or None if not optimal."""
    import highspy

    highs = highs_model(arrays, settings, relax=True)
    with quiet_stdout():
        highs.run()
    if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    solution = highs.getSolution()
    values = np.asarray(solution.col_value, dtype=np.float64)
    bound = float(highs.getInfo().objective_function_value) + arrays.objective_offset
    reduced = np.asarray(solution.col_dual, dtype=np.float64)
    return bound, np.stack([values, reduced])


def rens_start(
    arrays: ModelArrays, settings: AllocationSettings, lp: np.ndarray, time_limit: float
) -> np.ndarray | None:
    """A plan from the MIP restricted to the LP's support and each line's best neighbour."""
    values, reduced = lp
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
    highs = highs_model(arrays, settings, col_ub=col_ub, time_limit=time_limit)
    with quiet_stdout():
        highs.run()
    if highs.getInfo().primal_solution_status != 2:
        return None
    return np.asarray(highs.getSolution().col_value, dtype=np.float64)[: arrays.n_cols]


def better_start(
    arrays: ModelArrays, a: np.ndarray | None, b: np.ndarray | None
) -> np.ndarray | None:
    """The cheaper of two plans (either may be missing); x rounded to whole units."""
    best = None
    for v in (a, b):
        if v is None:
            continue
        v = v.copy()
        v[arrays.integer] = np.rint(v[arrays.integer])
        if best is None or arrays.cost @ v < arrays.cost @ best - 1e-9:
            best = v
    return best
