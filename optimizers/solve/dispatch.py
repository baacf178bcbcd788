"""Which solver runs the model: the settings' choice, large models to highspy directly."""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from contracts.vocabulary import Solver, SolverStatus
from optimizers.model.arrays import ModelArrays
from optimizers.model.objective import gap
from optimizers.settings import AllocationSettings
from optimizers.solve.highspy_solver import solve_highspy
from optimizers.solve.outcome import SolveOutcome
from optimizers.solve.pulp_solver import solve_pulp

# Above this many columns the default "highs" solver skips PuLP's model objects (same model,
# same HiGHS): building them is slower than the solve itself on large runs.
PULP_MAX_COLS = 100_000


def _run(
    arrays: ModelArrays, settings: AllocationSettings, start: np.ndarray | None
) -> SolveOutcome:
    """One MIP solve by the settings' solver (large models to highspy directly)."""
    if settings.solver == Solver.HIGHSPY:
        return solve_highspy(arrays, settings, start)
    if settings.solver == Solver.HIGHS and arrays.n_cols > PULP_MAX_COLS:
        # The same model and solver; PuLP's per-variable objects would cost ~13 s and ~1 GB
        # at 20k lines before HiGHS starts, so large models go to highspy directly.
        out = solve_highspy(arrays, settings, start)
        return replace(
            out,
            solver=Solver.HIGHS,
            message=(out.message + "; " if out.message else "")
            + "large model passed to HiGHS directly (highspy), not through PuLP",
        )
    return solve_pulp(arrays, settings, start)


def _without_start(
    arrays: ModelArrays, settings: AllocationSettings, first: SolveOutcome, started: float
) -> SolveOutcome:
    """The solver mistook its start (reported another objective than the plan costs): solve
    again without it, keep the better plan, and believe only a consistent solve's bound."""
    left = settings.time_limit_s - (time.perf_counter() - started)
    retry = _run(arrays, settings.with_(time_limit_s=max(left, 0.1)), None)
    note = "; re-solved without the start"
    if retry.consistent and retry.values is not None:
        if (
            first.objective is not None
            and retry.objective is not None
            and (first.objective < retry.objective)
        ):  # the start was better than what the retry found: keep it, with the retry's bound
            return replace(
                first,
                status=SolverStatus.TIME_LIMIT,
                best_bound=retry.best_bound,
                consistent=True,
                message=first.message + note,
            )
        return replace(retry, message=first.message + note)
    return replace(
        first,
        status=SolverStatus.TIME_LIMIT,
        best_bound=None,
        message=first.message + note + " (no bound from the solver)",
    )


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
    started = time.perf_counter()
    start_obj = None if start is None else float(arrays.cost @ start) + arrays.objective_offset
    start_gap = gap(start_obj, lp_bound)
    if start_gap is not None and start_gap <= settings.mip_gap:
        return SolveOutcome(
            settings.solver,
            SolverStatus.OPTIMAL,
            start,
            start_obj,
            lp_bound,
            start_gap,
            0.0,
            0.0,
            "proven within the gap by the LP bound",
        )
    out = _run(arrays, settings, start)
    if not out.consistent and start is not None:
        out = _without_start(arrays, settings, out, started)
    if out.values is None and start is not None:  # the solver lost its start: keep it
        out = replace(
            out,
            status=SolverStatus.TIME_LIMIT,
            values=start,
            objective=start_obj,
            message="solver returned no plan; kept its starting plan",
        )
    bound = out.best_bound
    if lp_bound is not None and (bound is None or lp_bound > bound):
        bound = lp_bound
    status = out.status
    if (
        status == SolverStatus.OPTIMAL
        and (g := gap(out.objective, bound)) is not None
        and (g > settings.mip_gap + 1e-9)
    ):  # "optimal" must mean proven within the requested gap
        status = SolverStatus.TIME_LIMIT
    return replace(out, status=status, best_bound=bound, gap=gap(out.objective, bound))
