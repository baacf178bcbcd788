"""Solving the model arrays with PuLP: HiGHS (highspy) by default, CBC selectable.

``build_pulp`` makes one LpAffineExpression per row from NumPy slices (no per-line logic) and
``solve_pulp`` hands the problem to ``pulp.HiGHS`` or ``pulp.PULP_CBC_CMD``, then reads back
values, status, objective, best bound and gap. Solvers stay silent on stdout so a caller's
``--json`` is clean.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pulp

from contracts.vocabulary import Solver, SolverStatus
from optimizers.model.arrays import ModelArrays
from optimizers.model.objective import gap
from optimizers.settings import AllocationSettings
from optimizers.solve.highspy_solver import highs_outcome
from optimizers.solve.outcome import HIGHS_OPTIONS, SolveOutcome, quiet_stdout


def build_pulp(arrays: ModelArrays) -> tuple[pulp.LpProblem, list[pulp.LpVariable]]:
    """The PuLP model of the arrays: one variable per column, one constraint per row."""
    prob = pulp.LpProblem("omniroute_allocation", pulp.LpMinimize)
    cats = np.where(arrays.integer, pulp.LpInteger, pulp.LpContinuous)
    variables = [
        prob.add_variable(f"v{j:08d}", float(lo), float(hi), cat=str(cat))
        for j, (lo, hi, cat) in enumerate(zip(arrays.col_lb, arrays.col_ub, cats, strict=True))
    ]
    var_arr = np.empty(len(variables), dtype=object)
    var_arr[:] = variables
    nz = np.flatnonzero(arrays.cost)
    prob += pulp.LpAffineExpression(zip(var_arr[nz], arrays.cost[nz].tolist(), strict=True))
    ptr, idx, val = arrays.indptr, arrays.indices, arrays.data.tolist()
    lbs, ubs = arrays.row_lb.tolist(), arrays.row_ub.tolist()
    for i in range(arrays.n_rows):
        s, e = int(ptr[i]), int(ptr[i + 1])
        expr = pulp.LpAffineExpression(zip(var_arr[idx[s:e]], val[s:e], strict=True))
        lo, hi = lbs[i], ubs[i]
        if lo == hi:
            sense, rhs = pulp.LpConstraintEQ, hi
        elif np.isinf(lo):
            sense, rhs = pulp.LpConstraintLE, hi
        else:
            sense, rhs = pulp.LpConstraintGE, lo
        prob.addConstraint(pulp.LpConstraint(expr, sense, name=f"r{i:08d}", rhs=rhs))
    return prob, variables


class _HiGHSWithStart(pulp.HiGHS):
    """pulp.HiGHS that hands highspy a starting plan (e.g. the baseline) before solving and
    sets the time limit from a deadline, so PuLP's model transfer counts against it."""

    def __init__(
        self,
        start: list[tuple[pulp.LpVariable, float]] | None,
        deadline: float | None = None,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self._start = start
        self._deadline = deadline

    def callSolver(self, lp: pulp.LpProblem) -> None:  # noqa: N802 (PuLP's name)
        if self._deadline is not None:
            left = max(0.1, self._deadline - time.perf_counter())
            lp.solverModel.setOptionValue("time_limit", float(left))
        if self._start:
            index = np.array([v.index for v, _ in self._start], dtype=np.int32)
            value = np.array([x for _, x in self._start], dtype=np.float64)
            lp.solverModel.setSolution(len(index), index, value)
        super().callSolver(lp)


def _cbc_bound(log: str, objective: float | None, optimal: bool, offset: float) -> float | None:
    """CBC's best bound from its log (model terms, plus the constant offset)."""
    for pattern in (r"Lower bound:\s+(\S+)", r"best possible\s+(\S+)"):
        found = re.findall(pattern, log)
        if found:
            with contextlib.suppress(ValueError):
                return float(found[-1].rstrip(",")) + offset
    return objective if optimal else None


def _solve_cbc(prob, variables, arrays, settings, start, build_s) -> SolveOutcome:
    if start is not None:
        for v, x in zip(variables, start.tolist(), strict=True):
            v.varValue = x
    with tempfile.TemporaryDirectory() as tmp:
        log_path = os.path.join(tmp, "cbc.log")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            solver = pulp.PULP_CBC_CMD(
                msg=False,
                timeLimit=settings.time_limit_s,
                gapRel=settings.mip_gap,
                threads=settings.threads,
                logPath=log_path,
                warmStart=start is not None,
            )
        t0 = time.perf_counter()
        with quiet_stdout():
            prob.solve(solver)
        solve_s = time.perf_counter() - t0
        log = Path(log_path).read_text() if os.path.exists(log_path) else ""
    has_plan = prob.status == pulp.LpStatusOptimal
    optimal = has_plan and prob.sol_status == pulp.LpSolutionOptimal
    if not has_plan:
        return SolveOutcome(
            Solver.CBC,
            SolverStatus.NO_SOLUTION,
            None,
            None,
            None,
            None,
            build_s,
            solve_s,
            f"CBC ended with {pulp.LpStatus[prob.status]} and no plan",
        )
    values = np.array([v.varValue or 0.0 for v in variables])
    objective = float(arrays.cost @ values) + arrays.objective_offset
    bound = _cbc_bound(log, objective, optimal, arrays.objective_offset)
    return SolveOutcome(
        Solver.CBC,
        SolverStatus.OPTIMAL if optimal else SolverStatus.TIME_LIMIT,
        values,
        objective,
        bound,
        gap(objective, bound),
        build_s,
        solve_s,
    )


def solve_pulp(
    arrays: ModelArrays, settings: AllocationSettings, start: np.ndarray | None = None
) -> SolveOutcome:
    """Solve with PuLP: HiGHS (highspy) unless settings.solver is "cbc". The time limit
    counts from this call (model building included)."""
    t0 = time.perf_counter()
    deadline = t0 + settings.time_limit_s
    prob, variables = build_pulp(arrays)
    build_s = time.perf_counter() - t0
    if settings.solver == Solver.CBC:
        left = settings.with_(time_limit_s=max(0.1, deadline - time.perf_counter()))
        return _solve_cbc(prob, variables, arrays, left, start, build_s)
    pairs = None if start is None else list(zip(variables, start.tolist(), strict=True))
    solver = _HiGHSWithStart(
        pairs,
        deadline,
        msg=False,
        timeLimit=settings.time_limit_s,
        gapRel=settings.mip_gap,
        threads=settings.threads,
        random_seed=int(settings.seed),
        **HIGHS_OPTIONS,
    )
    t0 = time.perf_counter()
    with quiet_stdout():
        prob.solve(solver)
    solve_s = time.perf_counter() - t0
    values = np.array([v.varValue if v.varValue is not None else 0.0 for v in variables])
    return highs_outcome(prob.solverModel, arrays, build_s, solve_s, Solver.HIGHS, values)
