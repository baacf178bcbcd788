"""The allocation optimizer (PuLP + HiGHS), the rule-based baseline and the objective.

Pure functions over Polars frames: no Dagster, no DuckDB. The stages, each in its subpackage
and callable on its own:

    candidates/    which node may fill which line, at what cost   (build_candidates)
    model/         the formulation as arrays, and the objective   (build_model_arrays)
    solve/         PuLP (HiGHS, CBC) or highspy, the LP relaxation (solve)
    heuristics/    baseline, rounding and repair, polish, warm start
    patterns/      per-order patterns: column generation, bound, dive, local search
    plan/          fills to frames, backorder reasons, explanations, the plan checker
    scenarios      counterfactual plans (a capability on and off)

``allocate`` runs them all.
"""

from optimizers.allocate import allocate, allocate_baseline, evaluate_plan
from optimizers.settings import AllocationSettings
from optimizers.types import AllocationInputs, AllocationResult, SolveStats

__all__ = [
    "AllocationInputs",
    "AllocationResult",
    "AllocationSettings",
    "SolveStats",
    "allocate",
    "allocate_baseline",
    "evaluate_plan",
]
