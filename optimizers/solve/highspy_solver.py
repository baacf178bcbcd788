"""The model passed to highspy as one row-wise CSR matrix (no PuLP objects), and reading a
HiGHS result back in solver-independent terms."""

from __future__ import annotations

import time

import numpy as np

from contracts.vocabulary import Solver, SolverStatus
from optimizers.model.arrays import ModelArrays
from optimizers.model.objective import gap
from optimizers.settings import AllocationSettings
from optimizers.solve.outcome import HIGHS_OPTIONS, SolveOutcome, quiet_stdout


def highs_model(
    arrays: ModelArrays,
    settings: AllocationSettings,
    col_ub: np.ndarray | None = None,
    relax: bool = False,
    time_limit: float | None = None,
    col_lb: np.ndarray | None = None,
):
    """A silent highspy.Highs holding the arrays' model (optionally relaxed or restricted)."""
    import highspy

    with quiet_stdout():
        highs = highspy.Highs()
    for name, value in (
        ("output_flag", False),
        ("threads", int(settings.threads)),
        ("random_seed", int(settings.seed)),
        ("time_limit", float(time_limit if time_limit is not None else settings.time_limit_s)),
        ("mip_rel_gap", float(settings.mip_gap)),
        *HIGHS_OPTIONS.items(),
    ):
        highs.setOptionValue(name, value)
    inf = highspy.kHighsInf
    integrality = np.zeros(arrays.n_cols, np.int32) if relax else arrays.integer.astype(np.int32)
    highs.passModel(
        arrays.n_cols,
        arrays.n_rows,
        len(arrays.data),
        2,
        1,
        0.0,
        arrays.cost,
        arrays.col_lb if col_lb is None else col_lb,
        arrays.col_ub if col_ub is None else col_ub,
        np.where(np.isinf(arrays.row_lb), -inf, arrays.row_lb),
        np.where(np.isinf(arrays.row_ub), inf, arrays.row_ub),
        arrays.indptr[:-1].astype(np.int32),
        arrays.indices.astype(np.int32),
        arrays.data,
        integrality,
    )
    return highs


def highs_status(highs) -> str:
    import highspy

    status = highs.getModelStatus()
    if status == highspy.HighsModelStatus.kOptimal:
        return SolverStatus.OPTIMAL
    if status == highspy.HighsModelStatus.kTimeLimit:
        return SolverStatus.TIME_LIMIT
    if status in (
        highspy.HighsModelStatus.kInfeasible,
        highspy.HighsModelStatus.kUnboundedOrInfeasible,
    ):
        return SolverStatus.INFEASIBLE
    return highs.modelStatusToString(status).lower().replace(" ", "_")


def highs_outcome(
    highs,
    arrays: ModelArrays,
    build_s: float,
    solve_s: float,
    solver: str,
    values: np.ndarray | None = None,
) -> SolveOutcome:
    info = highs.getInfo()
    status = highs_status(highs)
    has_plan = info.primal_solution_status == 2  # kSolutionStatusFeasible
    if has_plan and values is None:
        values = np.asarray(highs.getSolution().col_value, dtype=np.float64)[: arrays.n_cols]
    offset = arrays.objective_offset
    message = "" if has_plan else f"HiGHS ended with {status} and no plan"
    consistent = True
    objective = None
    if has_plan:
        # The plan's own cost: HiGHS may report the objective of its presolved copy of a start
        # (lower) while returning the start's original values.
        objective = float(arrays.cost @ values) + offset
        reported = float(info.objective_function_value) + offset
        if abs(reported - objective) > 1e-6 * max(1.0, abs(objective)):
            message = f"HiGHS reported {reported:.4f} for a plan costing {objective:.4f}"
            consistent = False
    bound = float(info.mip_dual_bound) + offset if np.isfinite(info.mip_dual_bound) else None
    if status == SolverStatus.OPTIMAL and bound is None:
        bound = objective  # a model without integers: the LP optimum is the bound
    return SolveOutcome(
        solver=solver,
        status=status if has_plan else SolverStatus.NO_SOLUTION,
        values=values if has_plan else None,
        objective=objective,
        best_bound=bound,
        gap=gap(objective, bound),
        build_seconds=build_s,
        solve_seconds=solve_s,
        message=message,
        consistent=consistent,
    )


def solve_highspy(
    arrays: ModelArrays, settings: AllocationSettings, start: np.ndarray | None = None
) -> SolveOutcome:
    """The same model passed to highspy as one row-wise CSR matrix (no PuLP objects)."""
    t0 = time.perf_counter()
    highs = highs_model(arrays, settings)
    if start is not None:
        highs.setSolution(arrays.n_cols, np.arange(arrays.n_cols, dtype=np.int32), start)
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    with quiet_stdout():
        highs.run()
    solve_s = time.perf_counter() - t0
    return highs_outcome(highs, arrays, build_s, solve_s, Solver.HIGHSPY)
