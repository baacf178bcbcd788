"""The allocation optimizer (PuLP + HiGHS), the rule-based baseline and the objective.

Pure functions over Polars frames: no Dagster, no DuckDB. Stages, each callable on its own:
``build_candidates`` -> ``build_model_arrays`` -> ``solve_pulp`` / ``solve_highspy`` ->
``extract_plan`` (``fills_from_values`` + ``assemble_result``); ``allocate`` runs them all.
"""

from optimizers.allocate import allocate, allocate_baseline, evaluate_plan
from optimizers.baseline import baseline_fills
from optimizers.candidates import Candidates, build_candidates
from optimizers.extract import assemble_result, extract_plan, fills_from_values
from optimizers.model import ModelArrays, build_model_arrays
from optimizers.objective import TERMS, objective_terms
from optimizers.solvers import SolveOutcome, solve, solve_highspy, solve_pulp
from optimizers.types import AllocationInputs, AllocationResult, AllocationSettings, SolveStats

__all__ = [
    "TERMS", "AllocationInputs", "AllocationResult", "AllocationSettings", "Candidates",
    "ModelArrays", "SolveOutcome", "SolveStats", "allocate", "allocate_baseline",
    "assemble_result", "baseline_fills", "build_candidates", "build_model_arrays",
    "evaluate_plan", "extract_plan", "fills_from_values", "objective_terms",
    "solve", "solve_highspy", "solve_pulp",
]  # fmt: skip
