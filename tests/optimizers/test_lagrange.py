"""The Lagrangian bound is a lower bound whatever the prices, tight at the LP's duals, and
still valid when candidates are pruned (in the model or at generation)."""

from __future__ import annotations

import numpy as np
import pytest

from contracts.atp import available_to_promise
from optimizers import allocate
from optimizers.candidates import build as candidates_module
from optimizers.candidates import build_candidates
from optimizers.decomposition.lagrange import (
    Prices,
    ascend,
    evaluate,
    priced_plan,
    prices_from_lp,
    relaxation,
    zero_prices,
)
from optimizers.heuristics.baseline import baseline_fills
from optimizers.model.build import build_model_arrays
from optimizers.model.objective import objective_terms
from optimizers.plan.check import fill_violations
from optimizers.settings import AllocationSettings
from optimizers.solve.relaxation import lp_relaxation
from optimizers.types import AllocationInputs
from samples.generator import generate_inbox
from samples.synthetic import synthetic_inputs
from tests.optimizers.oracle import Referee


def _generated(orders: int, seed: int) -> AllocationInputs:
    frames = generate_inbox(orders=orders, seed=seed, stores=8, dcs=2, skus=25)
    return AllocationInputs.from_frames(frames, available_to_promise(frames["stock"]))


INSTANCES = {
    "synthetic": synthetic_inputs(120, 10, seed=7),
    "generated": _generated(160, 3),
}
EXACT = AllocationSettings(mip_gap=0.0, candidates_per_line=-1, time_limit_s=120)


@pytest.fixture(scope="module", params=sorted(INSTANCES))
def case(request):
    inputs = INSTANCES[request.param]
    c = build_candidates(inputs, EXACT)
    arrays = build_model_arrays(c)
    lp = lp_relaxation(arrays, EXACT)
    optimum = allocate(inputs, EXACT)
    assert optimum.stats.status == "optimal"
    return inputs, c, arrays, lp, optimum.stats.objective


def _random_prices(r, rng) -> Prices:
    p = zero_prices(r)
    scale = float(np.median(r.unit_obj))
    p.atp[:] = rng.exponential(scale, len(p.atp))
    p.units[:] = rng.exponential(scale / 4, len(p.units))
    p.orders[:] = rng.exponential(scale, len(p.orders))
    p.parcels[:] = rng.exponential(scale, len(p.parcels))
    raw = rng.exponential(1.0, len(p.spread))
    mean = np.bincount(r.group, weights=raw) / np.bincount(r.group)
    p.spread = raw / mean[r.group]
    return p


def test_any_prices_give_a_bound_below_the_lp_and_the_optimum(case):
    _, c, _, lp, optimum = case
    r = relaxation(c)
    rng = np.random.default_rng(0)
    bounds = [evaluate(r, zero_prices(r)).bound]
    bounds += [evaluate(r, _random_prices(r, rng)).bound for _ in range(25)]
    assert max(bounds) <= lp.bound + 1e-6 * abs(lp.bound)
    assert lp.bound <= optimum + 1e-6 * abs(optimum)


def test_the_lp_duals_make_the_bound_nearly_the_lp_bound(case):
    _, c, arrays, lp, _ = case
    r = relaxation(c)
    bound = evaluate(r, prices_from_lp(r, arrays, lp.row_dual)).bound
    assert bound <= lp.bound + 1e-6 * abs(lp.bound)
    assert bound >= lp.bound - 0.01 * abs(lp.bound)


def test_the_ascent_never_reports_less_than_its_start_and_stays_valid(case):
    _, c, _, lp, optimum = case
    r = relaxation(c)
    start = evaluate(r, zero_prices(r)).bound
    ascent = ascend(r, optimum, iterations=60, time_limit=30)
    assert start - 1e-9 <= ascent.bound <= lp.bound + 1e-6 * abs(lp.bound)
    assert ascent.bound == pytest.approx(evaluate(r, ascent.prices).bound)
    assert ascent.bound > start  # the prices do something on instances with scarce stock


def test_the_priced_plan_is_feasible_and_beats_nothing_worse_than_backordering(case):
    inputs, c, _, _, optimum = case
    r = relaxation(c)
    ascent = ascend(r, optimum, iterations=60, time_limit=30)
    fills = priced_plan(c, r, ascent.evaluation)
    assert fill_violations(c, fills) == []
    nothing = objective_terms(c, fills.clear())["objective"]
    assert optimum - 1e-6 <= objective_terms(c, fills)["objective"] < nothing


def test_a_pruned_model_reports_a_bound_valid_for_all_candidates(case):
    inputs, c, _, _, optimum = case
    settings = AllocationSettings(candidates_per_line=1, mip_gap=0.0)
    result = allocate(inputs, settings)
    Referee(inputs, settings).check(result)
    assert result.stats.best_bound is not None
    assert result.stats.best_bound <= optimum + 1e-6 * abs(optimum)
    assert result.stats.objective >= optimum - 1e-6 * abs(optimum)
    assert result.stats.objective <= result.baseline.stats.objective + 1e-6
    assert "Lagrangian" in result.stats.message


def test_candidates_pruned_at_generation_keep_the_bound_valid(case, monkeypatch):
    inputs, c, _, lp, optimum = case
    monkeypatch.setattr(candidates_module, "GENERATION_PRUNE_LINES", 0)
    monkeypatch.setattr(candidates_module, "GENERATION_KEEP", 1)
    pruned = build_candidates(inputs, EXACT)
    assert 0 < pruned.candidates.height < c.candidates.height
    assert pruned.lines["pruned_floor"].is_not_null().any()
    r = relaxation(pruned)
    rng = np.random.default_rng(1)
    for p in [zero_prices(r), *(_random_prices(r, rng) for _ in range(10))]:
        assert evaluate(r, p).bound <= lp.bound + 1e-6 * abs(lp.bound)
    # without the floors the same relaxation could claim more than the true LP bound
    base = baseline_fills(pruned)
    assert fill_violations(pruned, base) == []
