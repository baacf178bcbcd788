"""Solvers, statuses, fallbacks, determinism and a quiet stdout."""

from __future__ import annotations

import importlib
import subprocess
import sys
from dataclasses import replace

import numpy as np
import polars as pl
import pytest

from optimizers import allocate
from optimizers.candidates import build_candidates
from optimizers.heuristics.refill import refill
from optimizers.model.build import build_model_arrays
from optimizers.model.objective import empty_fills, objective_terms
from optimizers.plan.check import fill_violations
from optimizers.settings import AllocationSettings
from optimizers.solve.highspy_solver import solve_highspy
from optimizers.solve.outcome import SolveOutcome
from optimizers.solve.pulp_solver import solve_pulp
from samples.synthetic import synthetic_inputs
from tests.optimizers.oracle import Referee

SMALL = synthetic_inputs(120, 10, seed=7)
# the module, not the function optimizers/__init__ re-exports under the same name
allocate_module = importlib.import_module("optimizers.allocate")


@pytest.fixture(scope="module")
def highs_plan():
    return allocate(SMALL, AllocationSettings(mip_gap=0.0))


def test_highs_plan_is_optimal_feasible_and_timed(highs_plan):
    s = highs_plan.stats
    assert (s.method, s.solver, s.status, s.fell_back) == ("optimizer", "highs", "optimal", False)
    assert s.best_bound is not None and s.best_bound <= s.objective + 1e-6
    assert s.gap == pytest.approx(0.0, abs=1e-6)
    assert min(s.build_seconds, s.solve_seconds, s.extract_seconds) > 0
    assert s.seconds >= s.build_seconds + s.solve_seconds
    Referee(SMALL, AllocationSettings(mip_gap=0.0)).check(highs_plan)
    assert s.objective < highs_plan.baseline.stats.objective


@pytest.mark.parametrize("solver", ["cbc", "highspy"])
def test_other_solvers_reach_the_same_optimum(highs_plan, solver):
    settings = AllocationSettings(mip_gap=0.0, solver=solver)
    r = allocate(SMALL, settings)
    assert r.stats.solver == solver and r.stats.status == "optimal"
    assert r.stats.objective == pytest.approx(highs_plan.stats.objective, rel=1e-9)
    Referee(SMALL, settings).check(r)


def test_raw_solvers_without_heuristics_agree():
    settings = AllocationSettings(mip_gap=0.0)
    arrays = build_model_arrays(build_candidates(SMALL, settings))
    a = solve_pulp(arrays, settings)
    b = solve_pulp(arrays, settings.with_(solver="cbc"))
    c = solve_highspy(arrays, settings)
    assert a.status == b.status == c.status == "optimal"
    assert a.objective == pytest.approx(b.objective) == pytest.approx(c.objective)
    assert b.best_bound == pytest.approx(b.objective, rel=1e-6)


def test_sample_like_run_is_proven_within_half_a_percent_and_beats_the_baseline():
    inputs = synthetic_inputs(600, 20, seed=2)
    r = allocate(inputs, AllocationSettings(mip_gap=0.005))
    assert r.stats.status == "optimal" and r.stats.gap <= 0.005
    assert r.stats.objective <= r.baseline.stats.objective
    Referee(inputs, AllocationSettings(mip_gap=0.005)).check(r)


def test_a_solve_that_hits_its_time_limit_keeps_a_feasible_plan():
    inputs = synthetic_inputs(1500, 30, seed=5)
    settings = AllocationSettings(time_limit_s=0.5)
    r = allocate(inputs, settings)
    assert r.stats.status in {"time_limit", "optimal"} and not r.stats.fell_back
    assert r.stats.objective <= r.baseline.stats.objective + 1e-6
    Referee(inputs, settings).check(r)


def _fake_solve(values_of):
    def fake(arrays, settings, start=None, lp_bound=None):
        values = values_of(arrays, start)
        return SolveOutcome(
            "highs",
            "time_limit" if values is not None else "no_solution",
            values,
            None,
            1.0,
            None,
            0.0,
            0.01,
            "fake",
        )

    return fake


def test_no_plan_from_the_solver_falls_back_to_the_baseline(monkeypatch, highs_plan):
    monkeypatch.setattr(allocate_module, "solve", _fake_solve(lambda a, s: None))
    r = allocate(SMALL, AllocationSettings(mip_gap=0.0, method="whole_model"))
    assert r.stats.fell_back and r.stats.status == "fallback_baseline"
    assert "rule-based" in r.stats.message
    assert r.allocations.equals(highs_plan.baseline.allocations)


def test_an_infeasible_solver_plan_is_rejected(monkeypatch):
    def overfill(arrays, start):
        v = start.copy()
        v[: len(arrays.x_cand)] = arrays.col_ub[: len(arrays.x_cand)]  # every candidate maxed
        return v

    monkeypatch.setattr(allocate_module, "solve", _fake_solve(overfill))
    r = allocate(SMALL, AllocationSettings(method="whole_model"))
    assert r.stats.fell_back and "rejected" in r.stats.message
    Referee(SMALL, AllocationSettings()).check(r)


def test_an_infeasible_pattern_plan_is_rejected_for_the_baseline(monkeypatch):
    real = allocate_module.solve_patterns

    def overfilled(c, start, settings):
        run = real(c, start, settings)
        every = c.candidates.select("cand_idx", quantity=pl.col("ub").cast(pl.Int64))
        return replace(run, fills=every)

    monkeypatch.setattr(allocate_module, "solve_patterns", overfilled)
    r = allocate(SMALL, AllocationSettings(mip_gap=0.5))
    assert r.stats.fell_back and "rejected" in r.stats.message
    assert r.stats.objective == pytest.approx(r.baseline.stats.objective)
    Referee(SMALL, AllocationSettings()).check(r)


def test_a_solver_plan_worse_than_the_baseline_is_not_kept(monkeypatch):
    monkeypatch.setattr(allocate_module, "solve", _fake_solve(lambda a, s: np.zeros(a.n_cols)))
    monkeypatch.setattr(allocate_module, "refill", lambda c, fills: fills)  # keep it bad
    r = allocate(SMALL, AllocationSettings(method="whole_model"))
    assert not r.stats.fell_back and "rule-based plan" in r.stats.message
    assert r.stats.objective == pytest.approx(r.baseline.stats.objective)


def test_refill_fills_what_a_node_can_take_for_less_than_its_penalty():
    c = build_candidates(SMALL, AllocationSettings())
    nothing = empty_fills()
    refilled = refill(c, nothing)
    assert fill_violations(c, refilled) == []
    before, after = objective_terms(c, nothing), objective_terms(c, refilled)
    assert after["objective"] < before["objective"]
    assert after["units_allocated"] > 0
    assert refill(c, refilled).equals(refilled)  # nothing left that saves


def test_same_inputs_in_any_row_order_give_the_same_plan(highs_plan):
    shuffled = replace(
        SMALL,
        orders=SMALL.orders.sample(fraction=1.0, shuffle=True, seed=1),
        nodes=SMALL.nodes.reverse(),
        available_to_promise=SMALL.available_to_promise.sample(fraction=1.0, shuffle=True, seed=2),
        rates=SMALL.rates.reverse(),
    )
    again = allocate(shuffled, AllocationSettings(mip_gap=0.0))
    for name in ("allocations", "backorders", "parcels", "explanations"):
        assert getattr(again, name).equals(getattr(highs_plan, name)), name


def test_solving_prints_nothing_on_stdout():
    code = (
        "from optimizers import allocate\n"
        "from samples.synthetic import synthetic_inputs\n"
        "from optimizers.settings import AllocationSettings\n"
        "for solver in ('highs', 'cbc', 'highspy'):\n"
        "    allocate(synthetic_inputs(40, 5, seed=1), AllocationSettings(solver=solver))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout == ""


def test_frames_have_the_documented_columns(highs_plan):
    r = highs_plan
    assert r.allocations.columns[:17] == [
        "order_id",
        "line_no",
        "sku",
        "node_id",
        "quantity",
        "fulfillment_method",
        "parcel_id",
        "service_level",
        "destination_node_id",
        "parcel_cost",
        "handling_cost",
        "expected_delivery_days",
        "available_at",
        "late_units",
        "unit_price",
        "unit_cost",
        "channel",
    ]
    assert r.backorders.columns == [
        "order_id", "line_no", "sku", "quantity", "reason", "expected_at", "cheapest_node_id",
        "fill_cost", "penalty",
    ]  # fmt: skip
    assert r.parcels.columns[:8] == [
        "parcel_id",
        "order_id",
        "node_id",
        "service_level",
        "destination",
        "weight_kg",
        "cost",
        "delivery_days",
    ]
    assert r.explanations.columns[:7] == [
        "order_id",
        "line_no",
        "node_id",
        "chosen_cost",
        "alternative_node_id",
        "alternative_cost",
        "explanation",
    ]
    assert r.explanations["explanation"].null_count() == 0
    assert r.parcels["parcel_id"].n_unique() == r.parcels.height
    ids = r.allocations.filter(pl.col("fulfillment_method") != "pickup_in_store")
    assert ids["parcel_id"].null_count() == 0
    assert r.plan_cost == pytest.approx(
        r.allocations["parcel_cost"].sum() + r.allocations["handling_cost"].sum()
    )


def test_an_unknown_solver_is_a_clear_error():
    with pytest.raises(ValueError, match="solver must be one of"):
        allocate(SMALL, AllocationSettings(solver="gurobi"))


def test_the_whole_model_and_the_patterns_agree_on_a_small_run():
    exact = AllocationSettings(mip_gap=0.0, time_limit_s=120)
    whole = allocate(SMALL, exact.with_(method="whole_model"))
    patterns = allocate(SMALL, exact)
    for r in (whole, patterns):
        Referee(SMALL, exact).check(r)
        assert r.stats.objective <= r.baseline.stats.objective + 1e-6
    assert patterns.stats.objective == pytest.approx(whole.stats.objective, rel=1e-6)
