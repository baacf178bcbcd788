"""The public entry: candidates -> baseline -> model -> solve -> checked plan -> result.

Every run also computes the rule-based baseline: it is the report's reference, the solver's
starting incumbent, and the plan of last resort when the solver returns none.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import polars as pl

from contracts.results import with_available_at
from contracts.vocabulary import PlanMethod, RunStatus, SolveMethod, Solver
from optimizers.candidates import Candidates, build_candidates
from optimizers.heuristics.baseline import baseline_fills
from optimizers.heuristics.polish import polish_fills
from optimizers.heuristics.refill import refill
from optimizers.heuristics.warmstart import warm_start
from optimizers.model.arrays import fills_from_values, start_vector
from optimizers.model.build import build_model_arrays
from optimizers.model.objective import empty_fills, gap, objective_terms
from optimizers.numerics import refuse_dangerous_inputs
from optimizers.patterns.run import solve_patterns
from optimizers.plan.check import fill_violations
from optimizers.plan.extract import assemble_result
from optimizers.settings import AllocationSettings
from optimizers.solve.dispatch import solve
from optimizers.types import AllocationInputs, AllocationResult, SolveStats

TOLERANCE = 1e-6
# Up to this many candidates the whole model's MIP is small enough to close, within the time
# left, a gap the patterns leave above ``mip_gap`` (the bundled sample has ~6k; measured in
# BENCHMARKS.md). Above, the patterns' plan stands: their bound is valid at every size.
WHOLE_MODEL_CANDIDATES = 20_000


@dataclass(frozen=True)
class Found:
    """What a solve path returned before the plan is checked."""

    fills: pl.DataFrame | None
    status: str
    message: str
    bound: float | None
    build_seconds: float
    solve_seconds: float


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


def _whole_model(
    c: Candidates, settings: AllocationSettings, base: pl.DataFrame, bound: float | None = None
) -> Found:
    """The whole model in PuLP: an LP and RENS start (or the given plan), then the MIP."""
    t0 = time.perf_counter()
    arrays = build_model_arrays(c)
    built = time.perf_counter() - t0
    if bound is None:
        warm = warm_start(c, arrays, settings, base)
        start, lp_bound, warm_seconds = warm.values, warm.lp_bound, warm.seconds
    else:  # the patterns' plan and bound: the MIP only has to close what they leave
        start, lp_bound, warm_seconds = start_vector(arrays, c, base), bound, 0.0
    left = max(settings.time_limit_s - warm_seconds, 0.1 * settings.time_limit_s)
    outcome = solve(arrays, settings.with_(time_limit_s=left), start, lp_bound)
    found = None if outcome.values is None else fills_from_values(arrays, outcome.values)
    best = outcome.best_bound
    if bound is not None:
        best = max(bound, best) if best is not None else bound
    return Found(
        found,
        outcome.status,
        outcome.message,
        best,
        built + outcome.build_seconds,
        warm_seconds + outcome.solve_seconds,
    )


def _patterns(c: Candidates, settings: AllocationSettings, base: pl.DataFrame) -> Found:
    """Per-order patterns (plan and bound at any size); on a small run whose gap is still
    above ``mip_gap``, the whole model's MIP from that plan and bound in the time left."""
    run = solve_patterns(c, base, settings)
    spent = sum(run.seconds.values())
    plan_obj = objective_terms(c, run.fills)["objective"]
    run_gap = gap(plan_obj, run.bound)
    proven = run_gap is not None and run_gap <= settings.mip_gap
    left = settings.time_limit_s - spent
    too_big = c.candidates.height > WHOLE_MODEL_CANDIDATES
    if proven or too_big or left <= 0:
        unproven = RunStatus.FEASIBLE if too_big else RunStatus.TIME_LIMIT
        return Found(
            run.fills,
            RunStatus.OPTIMAL if proven else unproven,
            run.describe(),
            run.bound,
            run.seconds["problems"],
            spent - run.seconds["problems"],
        )
    closed = _whole_model(c, settings.with_(time_limit_s=left), run.fills, run.bound)
    better = closed.fills is not None and (
        objective_terms(c, closed.fills)["objective"] < plan_obj - 1e-9
    )
    return Found(
        closed.fills if better else run.fills,
        closed.status,
        run.describe() + "; then the whole model's MIP: " + (closed.message or closed.status),
        closed.bound,
        run.seconds["problems"] + closed.build_seconds,
        spent - run.seconds["problems"] + closed.solve_seconds,
    )


def _checked_plan(
    c: Candidates, found: Found, base: pl.DataFrame
) -> tuple[pl.DataFrame, str, str, bool]:
    """(fills, status, message, fell back): the solver's plan polished and checked, else the
    baseline; the baseline also when it beats what the solver stopped at."""
    fills, status, message = None, found.status, found.message
    if found.fills is not None:
        fills = refill(c, polish_fills(c, found.fills))
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
    refuse_dangerous_inputs(c)
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

    whole = settings.method == SolveMethod.WHOLE_MODEL or settings.solver == Solver.CBC
    found = _whole_model(c, settings, base) if whole else _patterns(c, settings, base)
    t3 = time.perf_counter()
    fills, status, message, fell_back = _checked_plan(c, found, base)
    bound = found.bound
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
    key = ["order_id", "line_no", "node_id", "fulfillment_method", "available_at"]
    keys = (
        c.candidates.join(c.lines.select("line_idx", "order_id", "line_no"), on="line_idx")
        .join(c.nodes.select("node_idx", "node_id"), on="node_idx")
        .join(c.atp.select("atp_idx", "available_at"), on="atp_idx")
        .select(
            "order_id",
            "line_no",
            "node_id",
            pl.col("mode").alias("fulfillment_method"),
            "available_at",
            "cand_idx",
        )  # fmt: skip
    )
    rows = with_available_at(allocations).select(*key, "quantity")
    matched = rows.join(keys, on=key, how="left", nulls_equal=True)
    if matched["cand_idx"].null_count():
        bad = matched.filter(pl.col("cand_idx").is_null()).head(5).to_dicts()
        raise ValueError(f"allocation rows no rule allows, e.g. {bad}")
    fills = matched.group_by("cand_idx").agg(pl.col("quantity").sum().cast(pl.Int64))
    return objective_terms(c, fills)
