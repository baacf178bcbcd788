"""The public entry: candidates -> baseline -> model arrays -> solve -> extract -> result.

Every run also computes the rule-based baseline: it is the report's reference, the solver's
starting incumbent, and the plan of last resort when the solver returns none.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import polars as pl

from optimizers.baseline import baseline_fills
from optimizers.candidates import Candidates, build_candidates
from optimizers.check import violations
from optimizers.extract import assemble_result, fills_from_values
from optimizers.lagrange import full_bound, priced_plan, relaxation
from optimizers.large import solve_large
from optimizers.model import build_model_arrays
from optimizers.objective import empty_fills, objective_terms
from optimizers.polish import polish_fills
from optimizers.solvers import solve
from optimizers.types import AllocationInputs, AllocationResult, AllocationSettings, SolveStats
from optimizers.warmstart import warm_start

TOLERANCE = 1e-6
# Above this many candidates the full model's LP no longer solves within a minute on 2 cores
# (10k lines: 290k candidates, LP unsolved after 60 s); pruned to 4 per line it does (20k
# lines: 17 s). Measured in BENCHMARKS.md.
AUTO_PRUNE_CANDIDATES = 100_000
AUTO_PER_LINE = 2  # the column generation's starting model: 2 cheapest + the baseline's
BOUND_SHARE = 0.15  # of the time limit, for the Lagrangian bound of a large run
SOLVERS = ("highs", "cbc", "highspy")


def _checked(settings: AllocationSettings | None) -> AllocationSettings:
    settings = settings or AllocationSettings()
    if settings.solver not in SOLVERS:
        raise ValueError(f"solver must be one of {SOLVERS}, not {settings.solver!r}")
    return settings


def per_line(settings: AllocationSettings, c: Candidates) -> int:
    """Candidates per line the model keeps (0 = all), resolving the automatic setting."""
    k = settings.candidates_per_line
    if k == 0 and c.candidates.height > AUTO_PRUNE_CANDIDATES:
        return AUTO_PER_LINE
    return max(k, 0)


def _gap(objective: float, bound: float | None) -> float | None:
    if bound is None:
        return None
    return max(0.0, objective - bound) / max(abs(objective), 1e-9)


def _baseline_result(
    c: Candidates, fills: pl.DataFrame, started: float, built: float
) -> AllocationResult:
    t = time.perf_counter()
    stats = SolveStats(
        method="baseline",
        solver="rule-based",
        status="heuristic",
        objective=0.0,
        best_bound=None,
        gap=None,
        seconds=0.0,
        build_seconds=built,
        solve_seconds=t - started,
    )
    return assemble_result(c, fills, stats, started=started - built)


def allocate(
    inputs: AllocationInputs, settings: AllocationSettings | None = None
) -> AllocationResult:
    """The optimized plan (with ``.baseline`` = the rule-based plan of the same inputs)."""
    settings = _checked(settings)
    t0 = time.perf_counter()
    c = build_candidates(inputs, settings)
    t_cand = time.perf_counter()
    base = baseline_fills(c)
    baseline = _baseline_result(c, base, t_cand, t_cand - t0)
    base_obj = baseline.stats.objective

    t1 = time.perf_counter()
    large_run = per_line(settings, c) > 0
    common = {"method": "optimizer", "solver": settings.solver}
    if c.candidates.is_empty():
        obj = objective_terms(c, empty_fills())["objective"]
        stats = SolveStats(
            **common,
            status="empty",
            objective=obj,
            best_bound=obj,
            gap=0.0,
            seconds=0.0,
            build_seconds=(t_cand - t0) + (time.perf_counter() - t1),
            message="no line has an eligible node with stock: every unit is backordered",
        )
        return assemble_result(c, empty_fills(), stats, started=t0, baseline=baseline)

    if not large_run:
        arrays = build_model_arrays(c)
        t2 = time.perf_counter()
        warm = warm_start(c, arrays, settings, base)
        left = max(settings.time_limit_s - warm.seconds, 0.1 * settings.time_limit_s)
        outcome = solve(arrays, replace(settings, time_limit_s=left), warm.values, warm.lp_bound)
        build_s = (t_cand - t0) + (t2 - t1) + outcome.build_seconds
        solve_s = warm.seconds + outcome.solve_seconds
        found = None if outcome.values is None else fills_from_values(arrays, outcome.values)
        status, message, bound = outcome.status, outcome.message, outcome.best_bound
    else:
        # Large run: column generation (in parts above PARTITION_LINES lines), then a bound
        # over every candidate from the Lagrangian relaxation.
        relax = relaxation(c)
        t2 = time.perf_counter()
        large = solve_large(c, relax, base, per_line(settings, c), settings,
                            (1 - BOUND_SHARE) * settings.time_limit_s)  # fmt: skip
        build_s, solve_s = (t_cand - t0) + (t2 - t1), large.seconds
        found, status, message, bound = large.fills, "time_limit", "", None

    t3 = time.perf_counter()
    fills, fell_back = None, False
    if found is not None:
        fills = polish_fills(c, found)
        broken = violations(c, fills)
        if broken:
            fills, message = None, "solver plan rejected: " + "; ".join(broken)
    if fills is None:
        fills, status, fell_back = base, "fallback_baseline", True
        message = (message or "solver returned no plan") + "; using the rule-based plan"
    elif objective_terms(c, fills)["objective"] > base_obj + TOLERANCE * max(1.0, abs(base_obj)):
        # The solver stopped (gap or time) at a plan worse than the baseline: keep the better.
        fills = base
        message = "the rule-based plan beat the solver's incumbent and was kept"
    if large_run:
        fills, bound, status, message = _bounded(c, relax, large, fills, status, message,
                                                 settings)  # fmt: skip
    stats = SolveStats(
        **common,
        status=status,
        objective=0.0,
        best_bound=bound,
        gap=None,
        seconds=0.0,
        build_seconds=build_s,
        solve_seconds=solve_s,
        extract_seconds=time.perf_counter() - t3,
        fell_back=fell_back,
        message=message,
    )
    result = assemble_result(c, fills, stats, started=t0, baseline=baseline)
    return replace(result, stats=replace(result.stats, gap=_gap(result.stats.objective, bound)))


def _bounded(c, relax, large, fills, status, message, settings):
    """Bound the full problem (Lagrangian relaxation over every candidate, from the parts'
    best prices), try the plan those prices suggest, restate status and gap."""
    plan_obj = objective_terms(c, fills)["objective"]
    # its share of the time limit, or all that the parts left over
    budget = max(1.0, BOUND_SHARE * settings.time_limit_s, settings.time_limit_s - large.seconds)
    found = full_bound(relax, large.prices, plan_obj, budget)
    priced = polish_fills(c, priced_plan(c, relax, found.evaluation))
    if not violations(c, priced) and objective_terms(c, priced)["objective"] < plan_obj - 1e-9:
        fills, plan_obj = priced, objective_terms(c, priced)["objective"]
        message = (message + "; " if message else "") + "plan from the Lagrangian prices kept"
    bound = max(found.bound, large.bound if large.bound is not None else -np.inf)
    gap = _gap(plan_obj, bound)
    if status != "fallback_baseline":
        status = "optimal" if gap is not None and gap <= settings.mip_gap else "feasible"
    rounds = sum(p.rounds for p in large.parts)
    in_model = sum(p.candidates.candidates.height for p in large.parts)
    note = (
        f"column generation in {len(large.parts)} part(s): {rounds} LP round(s) in "
        f"{large.seconds:.1f} s, {in_model:,} of {c.candidates.height:,} candidates in the "
        f"models; bound from the Lagrangian relaxation over all candidates after "
        f"{found.iterations} price steps"
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
