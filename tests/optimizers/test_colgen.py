"""Column generation: the restricted LP never undercuts the full LP, every bound it reports
holds for the full problem, and re-solves really start from the previous basis."""

from __future__ import annotations

import numpy as np
import pytest

from contracts.atp import available_to_promise
from optimizers import allocate
from optimizers.candidates import build_candidates
from optimizers.decomposition import large as large_module
from optimizers.decomposition.colgen import (
    _mapped_basis,
    _restricted,
    column_generation,
    starting_set,
)
from optimizers.decomposition.lagrange import relaxation
from optimizers.decomposition.large import _shares
from optimizers.heuristics.baseline import baseline_fills
from optimizers.model.build import build_model_arrays
from optimizers.settings import AllocationSettings
from optimizers.solve.relaxation import lp_relaxation, solve_relaxation
from optimizers.types import AllocationInputs
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
    r = relaxation(c)
    start = starting_set(r, 1, baseline_fills(c)["cand_idx"].to_numpy())
    cg = column_generation(c, r, start, SETTINGS, time_limit=60)
    assert cg.rounds >= 2 and all(n > 0 for n in cg.added)
    assert len(start) < cg.candidates.candidates.height < c.candidates.height
    tol = 1e-6 * abs(full_lp.bound)
    assert cg.lp.bound >= full_lp.bound - tol  # a restriction of the full LP
    assert cg.bound <= full_lp.bound + tol  # a valid bound for the full problem
    # converged or close: the bound is within 1 % of the full LP on this instance
    assert cg.bound >= full_lp.bound * 0.99


def test_a_re_solve_starts_from_the_previous_basis(instance):
    _, c, _ = instance
    start = starting_set(relaxation(c), 2, np.zeros(0, dtype=np.int64))
    arrays = build_model_arrays(_restricted(c, start))
    highs, lp, order, _ = solve_relaxation(arrays, SETTINGS, 60)
    assert lp is not None and highs.getInfo().simplex_iteration_count > 0
    basis = _mapped_basis(highs.getBasis(), arrays, order, arrays)
    again, lp_again, _, _ = solve_relaxation(arrays, SETTINGS, 60, basis)
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


def test_capacity_shares_add_up_and_follow_what_each_part_could_use():
    total = np.array([10.0, 7.0, np.inf, 0.0, 5.0])
    part = np.array([0, 1, 0, 1, 2, 0])
    key = np.array([0, 0, 1, 1, 2, 3])
    weight = np.array([3.0, 1.0, 1.0, 1.0, 5.0, 2.0])
    shares = _shares(total, part, key, weight, 3)
    assert shares[:, 0].tolist() == [8.0, 2.0, 0.0]  # 7.5 / 2.5 / 0: remainder to the larger
    assert shares[:, 1].tolist() == [4.0, 3.0, 0.0]  # 3.5 / 3.5: ties in part order
    assert np.all(np.isinf(shares[:, 2]))  # no limit stays no limit
    assert shares[:, 3].tolist() == [0.0, 0.0, 0.0]
    assert shares[:, 4].tolist() == [2.0, 2.0, 1.0]  # nobody can use it: an even split


def test_a_run_in_parts_is_feasible_and_its_bound_holds(instance, monkeypatch):
    inputs, _, full_lp = instance
    monkeypatch.setattr(large_module, "PARTITION_LINES", 100)
    monkeypatch.setattr(large_module, "PART_LINES", 200)
    settings = AllocationSettings(candidates_per_line=2, time_limit_s=30)
    result = allocate(inputs, settings)
    Referee(inputs, settings).check(result)
    s = result.stats
    assert "part(s)" in s.message and "in 1 part(s)" not in s.message
    assert s.best_bound <= full_lp.bound + 1e-6 * abs(full_lp.bound) <= s.objective + 1e-6
    assert s.objective <= result.baseline.stats.objective + 1e-6
