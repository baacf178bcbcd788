"""The LP relaxation of the model: a lower bound on every plan, and prices (row duals).

Node capacity rows couple every line of a node and make the dual simplex slow, so a cold
start solves without them first, then adds them and re-solves from that basis. Column
generation passes the basis of its previous, smaller model instead.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from optimizers.model.arrays import ModelArrays, row_subset
from optimizers.settings import AllocationSettings
from optimizers.solve.highspy_solver import highs_model
from optimizers.solve.outcome import quiet_stdout

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
            rows.n_rows,
            np.where(np.isinf(rows.row_lb), -inf, rows.row_lb),
            np.where(np.isinf(rows.row_ub), inf, rows.row_ub),
            len(rows.data),
            rows.indptr[:-1].astype(np.int32),
            rows.indices.astype(np.int32),
            rows.data,
        )
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
