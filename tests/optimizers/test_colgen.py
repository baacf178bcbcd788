"""Column generation: the restricted LP never undercuts the full LP, every bound it reports
holds for the full problem, and re-solves really start from the previous basis."""

from __future__ import annotations

import numpy as np
import pytest

from contracts.stock import available_to_promise
from optimizers import allocate, build_candidates, build_model_arrays
from optimizers.baseline import baseline_fills
from optimizers.candidates import prune_candidates
from optimizers.colgen import _mapped_basis, _solve_lp, column_generation
from optimizers.lagrange import relaxation
from optimizers.types import AllocationInputs, AllocationSettings
from optimizers.warmstart import lp_relaxation
from samples.generator import generate_inbox
from tests.optimizers.oracle import Referee

SETTINGS = AllocationSettings(mip_gap=0.0, candidates_per_line=-1, time_limit_s=120)


@pytest.fixture(scope="module")
def instance():
    frames = generate_inbox(orders=400, seed=5, stores=10, dcs=2, skus=30)
    inputs = AllocationInputs.from_frames(frames, available_to_promise(frames["stock"]))
    c = build_candidates(inputs, SETTINGS)
    full_lp = lp_relaxation(build_model_arrays(c), SETTINGS)
    return inputs, c, full_lp


def test_rounds_add_candidates_and_every_bound_holds(instance):
    _, c, full_lp = instance
    start = prune_candidates(c, 1, keep=baseline_fills(c)).candidates["cand_idx"].to_numpy()
    cg = column_generation(c, relaxation(c), start, SETTINGS, time_limit=60)
    assert cg.rounds >= 2 and all(n > 0 for n in cg.added)
    assert len(start) < cg.candidates.candidates.height < c.candidates.height
    tol = 1e-6 * abs(full_lp.bound)
    assert cg.lp.bound >= full_lp.bound - tol  # a restriction of the full LP
    assert cg.bound <= full_lp.bound + tol  # a valid bound for the full problem
    # converged or close: the bound is within 1 % of the full LP on this instance
    assert cg.bound >= full_lp.bound * 0.99


def test_a_re_solve_starts_from_the_previous_basis(instance):
    _, c, _ = instance
    arrays = build_model_arrays(prune_candidates(c, 2))
    highs, lp, order, _ = _solve_lp(arrays, SETTINGS, 60)
    assert lp is not None and highs.getInfo().simplex_iteration_count > 0
    basis = _mapped_basis(highs.getBasis(), arrays, order, arrays)
    again, lp_again, _, _ = _solve_lp(arrays, SETTINGS, 60, basis)
    assert again.getInfo().simplex_iteration_count == 0
    assert lp_again.bound == pytest.approx(lp.bound)


def test_a_large_run_plan_is_feasible_and_bounded_by_the_full_problem(instance):
    inputs, _, full_lp = instance
    settings = AllocationSettings(candidates_per_line=1, time_limit_s=30)
    result = allocate(inputs, settings)
    Referee(inputs, settings).check(result)
    s = result.stats
    assert "column generation" in s.message
    assert s.status in ("optimal", "feasible")
    assert s.best_bound <= full_lp.bound + 1e-6 * abs(full_lp.bound) <= s.objective + 1e-6
    assert s.objective <= result.baseline.stats.objective + 1e-6
    assert s.gap == pytest.approx((s.objective - s.best_bound) / s.objective)
    assert np.isfinite(s.best_bound)
