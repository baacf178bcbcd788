"""Which solver runs the model: the settings' choice, large models to highspy directly."""

from __future__ import annotations

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
    start_gap = gap(start_obj, lp_bound)
    if start_gap is not None and start_gap <= settings.mip_gap:
        out = SolveOutcome(
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
    elif settings.solver == Solver.HIGHSPY:
        out = solve_highspy(arrays, settings, start)
    elif settings.solver == Solver.HIGHS and arrays.n_cols > PULP_MAX_COLS:
        # The same model and solver; PuLP's per-variable objects would cost ~13 s and ~1 GB
        # at 20k lines before HiGHS starts, so large models go to highspy directly.
        out = solve_highspy(arrays, settings, start)
        out = replace(
            out,
            solver=Solver.HIGHS,
            message=(out.message + "; " if out.message else "")
            + "large model passed to HiGHS directly (highspy), not through PuLP",
        )
    else:
        out = solve_pulp(arrays, settings, start)
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
    return replace(out, best_bound=bound, gap=gap(out.objective, bound))
