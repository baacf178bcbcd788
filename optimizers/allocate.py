"""The public entry: candidates -> baseline -> model -> solve -> checked plan -> result.

Every run also computes the rule-based baseline: it is the report's reference, the solver's
starting incumbent, and the plan of last resort when the solver returns none.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np
import polars as pl

from contracts.vocabulary import PlanMethod, RunStatus, Solver
from optimizers.candidates import Candidates, build_candidates
from optimizers.decomposition.bound import full_bound
from optimizers.decomposition.lagrange import Relaxation, priced_plan, relaxation
from optimizers.decomposition.large import LargeRun, solve_large
from optimizers.heuristics.baseline import baseline_fills
from optimizers.heuristics.polish import polish_fills
from optimizers.heuristics.warmstart import warm_start
from optimizers.model.arrays import fills_from_values
from optimizers.model.build import build_model_arrays
from optimizers.model.objective import empty_fills, gap, objective_terms
from optimizers.plan.check import fill_violations
from optimizers.plan.extract import assemble_result
from optimizers.settings import AllocationSettings
from optimizers.solve.dispatch import solve
from optimizers.types import AllocationInputs, AllocationResult, SolveStats

TOLERANCE = 1e-6
# Above this many candidates the full model's LP no longer solves within a minute on 2 cores
# (10k lines: 290k candidates, LP unsolved after 60 s); pruned to 4 per line it does (20k
# lines: 17 s). Measured in BENCHMARKS.md.
AUTO_PRUNE_CANDIDATES = 100_000
AUTO_PER_LINE = 2  # the column generation's starting model: 2 cheapest + the baseline's
BOUND_SHARE = 0.15  # of the time limit, for the Lagrangian bound of a large run


def per_line(settings: AllocationSettings, c: Candidates) -> int:
    """Candidates per line the model keeps (0 = all), resolving the automatic setting."""
    k = settings.candidates_per_line
    if k == 0 and c.candidates.height > AUTO_PRUNE_CANDIDATES:
        return AUTO_PER_LINE
    return max(k, 0)


@dataclass(frozen=True)
class Found:
    """What a solve path returned before the plan is checked."""

    fills: pl.DataFrame | None
    status: str
    message: str
    bound: float | None
    build_seconds: float
    solve_seconds: float
    large: LargeRun | None = None
    relax: Relaxation | None = None


def _baseline_result(
    c: Candidates, fills: pl.DataFrame, started: float, built: float
) -> AllocationResult:
    t = time.perf_counter()
    stats = SolveStats(
        method=PlanMethod.BASELINE,
        solver=Solver.RULE_BASED,
        status=RunStatus.HEURISTIC,
        objective=0.0,
        best_bound=None,
        gap=None,
        seconds=0.0,
        build_seconds=built,
        solve_seconds=t - started,
    )
    return assemble_result(c, fills, stats, started=started - built)


def _whole_model(c: Candidates, settings: AllocationSettings, base: pl.DataFrame) -> Found:
    """The whole model: LP relaxation and RENS for a start, then the MIP in what time is left."""
    t0 = time.perf_counter()
    arrays = build_model_arrays(c)
    built = time.perf_counter() - t0
    warm = warm_start(c, arrays, settings, base)
    left = max(settings.time_limit_s - warm.seconds, 0.1 * settings.time_limit_s)
    outcome = solve(arrays, settings.with_(time_limit_s=left), warm.values, warm.lp_bound)
    found = None if outcome.values is None else fills_from_values(arrays, outcome.values)
    return Found(
        found,
        outcome.status,
        outcome.message,
        outcome.best_bound,
        built + outcome.build_seconds,
        warm.seconds + outcome.solve_seconds,
    )


def _large_run(c: Candidates, settings: AllocationSettings, base: pl.DataFrame) -> Found:
    """Column generation (in parts above PARTITION_LINES lines); bounded after the check."""
    t0 = time.perf_counter()
    relax = relaxation(c)
    built = time.perf_counter() - t0
    budget = (1 - BOUND_SHARE) * settings.time_limit_s
    large = solve_large(c, relax, base, per_line(settings, c), settings, budget)
    return Found(large.fills, RunStatus.TIME_LIMIT, "", None, built, large.seconds, large, relax)


def _checked_plan(
    c: Candidates, found: Found, base: pl.DataFrame
) -> tuple[pl.DataFrame, str, str, bool]:
    """(fills, status, message, fell back): the solver's plan polished and checked, else the
    baseline; the baseline also when it beats what the solver stopped at."""
    fills, status, message = None, found.status, found.message
    if found.fills is not None:
        fills = polish_fills(c, found.fills)
        broken = fill_violations(c, fills)
        if broken:
            fills, message = None, "solver plan rejected: " + "; ".join(broken)
    if fills is None:
        message = (message or "solver returned no plan") + "; using the rule-based plan"
        return base, RunStatus.FALLBACK_BASELINE, message, True
    base_obj = objective_terms(c, base)["objective"]
    if objective_terms(c, fills)["objective"] > base_obj + TOLERANCE * max(1.0, abs(base_obj)):
        # The solver stopped (gap or time) at a plan worse than the baseline: keep the better.
        return base, status, "the rule-based plan beat the solver's incumbent and was kept", False
    return fills, status, message, False


def allocate(
    inputs: AllocationInputs, settings: AllocationSettings | None = None
) -> AllocationResult:
    """The optimized plan (with ``.baseline`` = the rule-based plan of the same inputs)."""
    settings = settings or AllocationSettings()
    t0 = time.perf_counter()
    c = build_candidates(inputs, settings)
    t_cand = time.perf_counter()
    base = baseline_fills(c)
    baseline = _baseline_result(c, base, t_cand, t_cand - t0)
    if c.candidates.is_empty():
        obj = objective_terms(c, empty_fills())["objective"]
        stats = SolveStats(
            method=PlanMethod.OPTIMIZER,
            solver=settings.solver,
            status=RunStatus.EMPTY,
            objective=obj,
            best_bound=obj,
            gap=0.0,
            seconds=0.0,
            build_seconds=time.perf_counter() - t0,
            message="no line has an eligible node with stock: every unit is backordered",
        )
        return assemble_result(c, empty_fills(), stats, started=t0, baseline=baseline)

    large_run = per_line(settings, c) > 0
    found = _large_run(c, settings, base) if large_run else _whole_model(c, settings, base)
    t3 = time.perf_counter()
    fills, status, message, fell_back = _checked_plan(c, found, base)
    bound = found.bound
    if found.large is not None and found.relax is not None:
        fills, bound, status, message = _bounded(c, found, fills, status, message, settings)
    stats = SolveStats(
        method=PlanMethod.OPTIMIZER,
        solver=settings.solver,
        status=status,
        objective=0.0,
        best_bound=bound,
        gap=None,
        seconds=0.0,
        build_seconds=(t_cand - t0) + found.build_seconds,
        solve_seconds=found.solve_seconds,
        extract_seconds=time.perf_counter() - t3,
        fell_back=fell_back,
        message=message,
    )
    result = assemble_result(c, fills, stats, started=t0, baseline=baseline)
    return replace(result, stats=replace(result.stats, gap=gap(result.stats.objective, bound)))


def _bounded(
    c: Candidates,
    found: Found,
    fills: pl.DataFrame,
    status: str,
    message: str,
    settings: AllocationSettings,
) -> tuple[pl.DataFrame, float, str, str]:
    """Bound the full problem (Lagrangian relaxation over every candidate, from the parts'
    best prices), try the plan those prices suggest, restate status and gap."""
    large, relax = found.large, found.relax
    assert large is not None and relax is not None
    plan_obj = objective_terms(c, fills)["objective"]
    # its share of the time limit, or all that the parts left over
    budget = max(1.0, BOUND_SHARE * settings.time_limit_s, settings.time_limit_s - large.seconds)
    ascent = full_bound(relax, large.prices, plan_obj, budget)
    priced = polish_fills(c, priced_plan(c, relax, ascent.evaluation))
    if not fill_violations(c, priced) and objective_terms(c, priced)["objective"] < plan_obj - 1e-9:
        fills, plan_obj = priced, objective_terms(c, priced)["objective"]
        message = (message + "; " if message else "") + "plan from the Lagrangian prices kept"
    bound = max(ascent.bound, large.bound if large.bound is not None else -np.inf)
    plan_gap = gap(plan_obj, bound)
    if status != RunStatus.FALLBACK_BASELINE:
        optimal = plan_gap is not None and plan_gap <= settings.mip_gap
        status = RunStatus.OPTIMAL if optimal else RunStatus.FEASIBLE
    rounds = sum(p.rounds for p in large.parts)
    in_model = sum(p.candidates.candidates.height for p in large.parts)
    note = (
        f"column generation in {len(large.parts)} part(s): {rounds} LP round(s) in "
        f"{large.seconds:.1f} s, {in_model:,} of {c.candidates.height:,} candidates in the "
        f"models; bound from the Lagrangian relaxation over all candidates after "
        f"{ascent.iterations} price steps"
    )
    return fills, bound, status, (message + "; " if message else "") + note


def allocate_baseline(
    inputs: AllocationInputs, settings: AllocationSettings | None = None
) -> AllocationResult:
    """The rule-based plan alone, priced by the same objective."""
    settings = settings or AllocationSettings()
    t0 = time.perf_counter()
    c = build_candidates(inputs, settings)
    t1 = time.perf_counter()
    return _baseline_result(c, baseline_fills(c), t1, t1 - t0)


def evaluate_plan(
    inputs: AllocationInputs, allocations: pl.DataFrame, settings: AllocationSettings | None = None
) -> dict[str, float]:
    """Objective terms of any plan given as allocation rows (order_id, line_no, node_id,
    fulfillment_method, quantity). Raises ValueError for a row no rule allows."""
    settings = settings or AllocationSettings()
    c = build_candidates(inputs, settings)
    keys = (
        c.candidates.join(c.lines.select("line_idx", "order_id", "line_no"), on="line_idx")
        .join(c.nodes.select("node_idx", "node_id"), on="node_idx")
        .select(
            "order_id", "line_no", "node_id", pl.col("mode").alias("fulfillment_method"), "cand_idx"
        )
    )
    rows = allocations.select("order_id", "line_no", "node_id", "fulfillment_method", "quantity")
    matched = rows.join(
        keys, on=["order_id", "line_no", "node_id", "fulfillment_method"], how="left"
    )
    if matched["cand_idx"].null_count():
        bad = matched.filter(pl.col("cand_idx").is_null()).head(5).to_dicts()
        raise ValueError(f"allocation rows no rule allows, e.g. {bad}")
    fills = matched.group_by("cand_idx").agg(pl.col("quantity").sum().cast(pl.Int64))
    return objective_terms(c, fills)
