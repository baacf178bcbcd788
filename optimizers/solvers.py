"""Stage 3: solve the model arrays with PuLP (HiGHS by default, CBC selectable).

``solve_pulp`` builds the PuLP model row by row from the CSR arrays (one LpAffineExpression
per row from NumPy slices, no per-line logic), hands it to ``pulp.HiGHS`` (highspy) or
``pulp.PULP_CBC_CMD`` and reads back values, status, objective, best bound and gap.
``solve_highspy`` passes the same CSR matrix straight to highspy, for runs too large for
PuLP's per-variable objects. Solvers stay silent on stdout so a caller's ``--json`` is clean.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pulp

from optimizers.model import ModelArrays
from optimizers.types import AllocationSettings

# HiGHS's enumeration presolve spends ~20 s on sample-sized models (2.5k lines x 44 nodes)
# before the root LP and removes little; measured, so switched off.
HIGHS_OPTIONS = {"presolve_rule_off": 1 << 16}
# Above this many columns the default "highs" solver skips PuLP's model objects (same model,
# same HiGHS): building them is slower than the solve itself on large runs.
PULP_MAX_COLS = 100_000


@dataclass(frozen=True)
class SolveOutcome:
    """What a solver returned, in solver-independent terms."""

    solver: str
    status: str  # optimal | time_limit | infeasible | no_solution | error
    values: np.ndarray | None  # column values when a plan was found
    objective: float | None
    best_bound: float | None
    gap: float | None
    build_seconds: float
    solve_seconds: float
    message: str = ""


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """Send file descriptor 1 to /dev/null (HiGHS prints a banner from C++ on first use)."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def _gap(objective: float | None, bound: float | None) -> float | None:
    if objective is None or bound is None or not np.isfinite(bound):
        return None
    return max(0.0, objective - bound) / max(abs(objective), 1e-9)


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


def _highs_status(highs) -> str:
    import highspy

    status = highs.getModelStatus()
    if status == highspy.HighsModelStatus.kOptimal:
        return "optimal"
    if status == highspy.HighsModelStatus.kTimeLimit:
        return "time_limit"
    if status in (
        highspy.HighsModelStatus.kInfeasible,
        highspy.HighsModelStatus.kUnboundedOrInfeasible,
    ):
        return "infeasible"
    return highs.modelStatusToString(status).lower().replace(" ", "_")


def _highs_outcome(
    highs,
    arrays: ModelArrays,
    build_s: float,
    solve_s: float,
    solver: str,
    values: np.ndarray | None = None,
) -> SolveOutcome:
    info = highs.getInfo()
    status = _highs_status(highs)
    has_plan = info.primal_solution_status == 2  # kSolutionStatusFeasible
    if has_plan and values is None:
        values = np.asarray(highs.getSolution().col_value, dtype=np.float64)[: arrays.n_cols]
    offset = arrays.objective_offset
    message = "" if has_plan else f"HiGHS ended with {status} and no plan"
    objective = None
    if has_plan:
        # The plan's own cost: HiGHS may report the objective of its presolved copy of a start
        # (lower) while returning the start's original values.
        objective = float(arrays.cost @ values) + offset
        reported = float(info.objective_function_value) + offset
        if abs(reported - objective) > 1e-6 * max(1.0, abs(objective)):
            message = f"HiGHS reported {reported:.4f} for a plan costing {objective:.4f}"
    bound = float(info.mip_dual_bound) + offset if np.isfinite(info.mip_dual_bound) else None
    if status == "optimal" and bound is None:
        bound = objective  # a model without integers: the LP optimum is the bound
    return SolveOutcome(
        solver=solver,
        status=status if has_plan else "no_solution",
        values=values if has_plan else None,
        objective=objective,
        best_bound=bound,
        gap=_gap(objective, bound),
        build_seconds=build_s,
        solve_seconds=solve_s,
        message=message,
    )


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
            "cbc",
            "no_solution",
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
        "cbc",
        "optimal" if optimal else "time_limit",
        values,
        objective,
        bound,
        _gap(objective, bound),
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
    if settings.solver == "cbc":
        left = replace(settings, time_limit_s=max(0.1, deadline - time.perf_counter()))
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
    return _highs_outcome(prob.solverModel, arrays, build_s, solve_s, "highs", values)


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
        arrays.n_cols, arrays.n_rows, len(arrays.data), 2, 1, 0.0,
        arrays.cost, arrays.col_lb if col_lb is None else col_lb,
        arrays.col_ub if col_ub is None else col_ub,
        np.where(np.isinf(arrays.row_lb), -inf, arrays.row_lb),
        np.where(np.isinf(arrays.row_ub), inf, arrays.row_ub),
        arrays.indptr[:-1].astype(np.int32), arrays.indices.astype(np.int32),
        arrays.data, integrality,
    )  # fmt: skip
    return highs


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
    return _highs_outcome(highs, arrays, build_s, solve_s, "highspy")


def solve(
    arrays: ModelArrays,
    settings: AllocationSettings,
    start: np.ndarray | None = None,
    lp_bound: float | None = None,
) -> SolveOutcome:
    """The MIP by settings.solver within settings.time_limit_s: highs (PuLP + HiGHS, default),
    cbc (PuLP + CBC) or highspy (direct). Skipped when ``start`` is already proven within the
    gap by ``lp_bound`` (the LP relaxation of the full model). The reported bound is the
    better of the MIP's and ``lp_bound``."""
    start_obj = None if start is None else float(arrays.cost @ start) + arrays.objective_offset
    start_gap = _gap(start_obj, lp_bound)
    if start_gap is not None and start_gap <= settings.mip_gap:
        out = SolveOutcome(settings.solver, "optimal", start, start_obj, lp_bound, start_gap,
                           0.0, 0.0, "proven within the gap by the LP bound")  # fmt: skip
    elif settings.solver == "highspy":
        out = solve_highspy(arrays, settings, start)
    elif settings.solver == "highs" and arrays.n_cols > PULP_MAX_COLS:
        # The same model and solver; PuLP's per-variable objects would cost ~13 s and ~1 GB
        # at 20k lines before HiGHS starts, so large models go to highspy directly.
        out = solve_highspy(arrays, settings, start)
        out = replace(
            out,
            solver="highs",
            message=(out.message + "; " if out.message else "")
            + "large model passed to HiGHS directly (highspy), not through PuLP",
        )
    else:
        out = solve_pulp(arrays, settings, start)
    if out.values is None and start is not None:  # the solver lost its start: keep it
        out = replace(out, status="time_limit", values=start, objective=start_obj,
                      message="solver returned no plan; kept its starting plan")  # fmt: skip
    bound = out.best_bound
    if lp_bound is not None and (bound is None or lp_bound > bound):
        bound = lp_bound
    return replace(out, best_bound=bound, gap=_gap(out.objective, bound))
