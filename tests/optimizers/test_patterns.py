"""The pattern solve path piece by piece: pricing against the objective, the bound against
brute force and the exact MIP, local search against the constraints, determinism."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings

from optimizers import allocate
from optimizers.candidates import build_candidates
from optimizers.heuristics.baseline import baseline_fills
from optimizers.model.objective import objective_terms
from optimizers.patterns import solve as solve_module
from optimizers.patterns.columns import (
    Prices,
    coupling_rows,
    fills_of,
    pattern_costs,
    patterns_from_take,
)
from optimizers.patterns.local import exchange, improve, place, room_of
from optimizers.patterns.pricing import price_orders
from optimizers.patterns.problem import order_problems
from optimizers.patterns.run import solve_patterns
from optimizers.patterns.solve import _capacities, _take_of
from optimizers.plan.check import fill_violations
from optimizers.settings import AllocationSettings
from samples.synthetic import synthetic_inputs
from tests.optimizers.oracle import Referee
from tests.optimizers.test_alloc_properties import instances

TIGHT = {"n_lines": 400, "n_nodes": 12, "n_skus": 60, "stock_density": 0.3, "stock_level": 0.7}


def _objective(c, fills: pl.DataFrame) -> float:
    return objective_terms(c, fills)["objective"]


@pytest.fixture(scope="module")
def tight():
    """A run where stock is short and capacities bind, so the coupling rows matter."""
    inputs = synthetic_inputs(**TIGHT, seed=5, pickup_share=0.3)
    c = build_candidates(inputs, AllocationSettings())
    return inputs, c, order_problems(c)


def test_a_priced_pattern_costs_what_the_objective_charges_for_it(tight):
    _, c, op = tight
    rng = np.random.default_rng(0)
    for scale in (0.0, 1.0, 20.0):
        extra = scale * rng.random(op.n_cands)  # what coupling-row prices would add
        priced = price_orders(op, op.unit_obj + extra, np.zeros(len(op.pair_node)))
        plan = patterns_from_take(op, priced.take, np.arange(op.n_orders))
        costs = pattern_costs(op, plan)
        assert op.offset + costs.sum() == pytest.approx(_objective(c, fills_of(op, plan)))
        # each order's priced value is its pattern's cost plus the charged rates, no less
        charged = np.bincount(op.order_of_cand(), extra * priced.take, minlength=op.n_orders)
        assert np.all(priced.lower <= priced.priced + 1e-6)
        assert priced.priced == pytest.approx(costs + charged, abs=1e-6)


def test_pricing_at_zero_prices_is_each_orders_own_optimum(tight):
    """Without binding rows every order is alone: the priced plan is the exact optimum of
    the run with stock and capacity unlimited, which the whole-model MIP confirms."""
    inputs = tight[0]
    free = inputs.available_to_promise.with_columns(available_to_promise=pl.lit(10_000))
    nodes = inputs.nodes.with_columns(
        ship_capacity_units=pl.lit(None, pl.Int64), ship_capacity_orders=pl.lit(None, pl.Int64)
    )
    unlimited = type(inputs)(**{**inputs.__dict__, "available_to_promise": free, "nodes": nodes})
    c = build_candidates(unlimited, AllocationSettings())
    op = order_problems(c)
    priced = price_orders(op, op.unit_obj, np.zeros(len(op.pair_node)))
    plan = patterns_from_take(op, priced.take, np.arange(op.n_orders))
    exact = allocate(unlimited, AllocationSettings(method="whole_model", mip_gap=0.0))
    assert exact.stats.status == "optimal"
    assert op.offset + pattern_costs(op, plan).sum() == pytest.approx(exact.stats.objective)
    assert fill_violations(c, fills_of(op, plan)) == []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_nodes=3, max_lines=3, max_qty=2))
def test_the_bound_never_exceeds_the_brute_force_optimum(case):
    inputs, run = case
    c = build_candidates(inputs, run)
    if c.candidates.is_empty():
        return
    best = Referee(inputs, run).brute_force()
    found = solve_patterns(c, baseline_fills(c), run)
    assert found.bound <= best + 1e-6 * max(1.0, abs(best))
    assert fill_violations(c, found.fills) == []
    assert _objective(c, found.fills) >= best - 1e-6 * max(1.0, abs(best))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_bound_is_below_the_exact_optimum_and_the_plan_above(seed):
    inputs = synthetic_inputs(**{**TIGHT, "n_lines": 150}, seed=seed)
    exact = allocate(inputs, AllocationSettings(method="whole_model", mip_gap=0.0))
    assert exact.stats.status == "optimal"
    c = build_candidates(inputs, AllocationSettings())
    found = solve_patterns(c, baseline_fills(c), AllocationSettings())
    optimum = exact.stats.objective
    assert found.bound <= optimum + 1e-6 * optimum
    assert _objective(c, found.fills) >= optimum - 1e-6 * optimum
    assert found.bound <= found.lp + 1e-6 * optimum  # the Lagrangian bound under the LP
    assert (optimum - found.bound) / optimum < 0.05  # informative, not merely valid


def test_local_search_keeps_every_row_and_never_raises_the_objective(tight):
    _, c, op = tight
    atp, units, orders = _capacities(c)
    # an impossible proposal (every line at its cheapest candidate, whatever the stock)
    priced = price_orders(op, op.unit_obj, np.zeros(len(op.pair_node)))
    room = room_of(atp, units, orders)
    take = place(op, room, np.arange(op.n_orders), priced.take.copy())
    plan = fills_of(op, patterns_from_take(op, take, np.arange(op.n_orders)))
    assert fill_violations(c, plan) == []
    before = _objective(c, plan)
    improve(op, room, take, np.arange(op.n_orders), 2)
    improved = _objective(c, fills_of(op, patterns_from_take(op, take, np.arange(op.n_orders))))
    assert improved <= before + 1e-6
    rng = np.random.default_rng(1)
    first, second = rng.integers(0, op.n_orders, (2, 3000))
    exchange(op, room, take, first, second)
    swapped = fills_of(op, patterns_from_take(op, take, np.arange(op.n_orders)))
    assert fill_violations(c, swapped) == []
    assert _objective(c, swapped) <= improved + 1e-6
    # the room left is exactly what the plan leaves
    again = room_of(atp, units, orders)
    place(op, again, np.arange(op.n_orders), take.copy())
    assert np.allclose(again.atp, room.atp) and np.allclose(again.units, room.units)


def test_the_coupling_rows_price_every_scarce_row_and_skip_the_ample_ones(tight):
    _, c, op = tight
    atp, units, orders = _capacities(c)
    rows = coupling_rows(op, atp, units, orders)
    prices = Prices.of_rows(rows, np.ones(rows.n))
    assert rows.n > 0 and np.all(np.isfinite(rows.cap))
    assert prices.charge(rows) == pytest.approx(rows.cap.sum())


@pytest.mark.parametrize("rounds", [1, 2])
def test_an_early_stopped_solve_gives_the_same_plan_every_time(tight, monkeypatch, rounds):
    _, c, op = tight
    monkeypatch.setattr(solve_module, "PRICING_ROUNDS", rounds)
    base = baseline_fills(c)
    runs = [solve_patterns(c, base, AllocationSettings()) for _ in range(2)]
    assert runs[0].figures["rounds"] == rounds
    assert runs[0].fills.sort("cand_idx").equals(runs[1].fills.sort("cand_idx"))
    assert runs[0].bound == runs[1].bound
    assert fill_violations(c, runs[0].fills) == []
    assert _objective(c, runs[0].fills) <= _objective(c, base) + 1e-6


def test_the_plan_starts_from_the_baseline_and_keeps_its_units_reachable(tight):
    _, c, op = tight
    base = baseline_fills(c)
    take = _take_of(op, base)
    assert take.sum() == base["quantity"].sum()
    back = fills_of(op, patterns_from_take(op, take, np.arange(op.n_orders)))
    assert _objective(c, back) == pytest.approx(_objective(c, base))


def test_the_bound_stays_valid_when_candidates_are_pruned(monkeypatch):
    """Large runs keep only each line's cheapest and nearest candidates; the bound must still
    hold for the whole problem, the pruned candidates included."""
    from optimizers.candidates import build as build_module

    inputs = synthetic_inputs(**{**TIGHT, "n_lines": 150}, seed=2)
    exact = allocate(inputs, AllocationSettings(method="whole_model", mip_gap=0.0))
    monkeypatch.setattr(build_module, "GENERATION_PRUNE_LINES", 0)
    monkeypatch.setattr(build_module, "GENERATION_KEEP", 1)
    c = build_candidates(inputs, AllocationSettings())
    assert c.lines["pruned_floor"].is_not_null().any()
    found = solve_patterns(c, baseline_fills(c), AllocationSettings())
    assert found.bound <= exact.stats.objective * (1 + 1e-6)
    assert fill_violations(c, found.fills) == []


def test_shares_of_a_capacity_are_integral_proportional_and_add_up():
    from optimizers.patterns.parts import _divided

    cap = np.array([7.0, 1.0, 0.0, np.inf, 10.0])
    demand = np.array([[3.0, 1.0, 0.0, 5.0, 0.0], [1.0, 1.0, 2.0, 5.0, 0.0]])
    shares = _divided(cap, demand)
    assert shares[:, :3].sum(axis=0).tolist() == [7.0, 1.0, 0.0]
    assert shares[:, 4].sum() == 10.0 and np.all(np.isinf(shares[:, 3]))
    assert np.all(shares[np.isfinite(shares)] == np.round(shares[np.isfinite(shares)]))
    assert shares[0, 0] >= shares[1, 0]  # three quarters of the demand, most of the stock


def test_a_run_in_parts_is_feasible_and_its_bound_holds_for_the_whole_run(monkeypatch):
    from optimizers.patterns import parts

    inputs = synthetic_inputs(**{**TIGHT, "n_lines": 150}, seed=3)
    exact = allocate(inputs, AllocationSettings(method="whole_model", mip_gap=0.0))
    monkeypatch.setattr(parts, "PART_ORDERS", 30)
    c = build_candidates(inputs, AllocationSettings())
    base = baseline_fills(c)
    found = solve_patterns(c, base, AllocationSettings())
    assert found.figures["parts"] > 2
    assert fill_violations(c, found.fills) == []
    assert found.bound <= exact.stats.objective * (1 + 1e-6)
    assert exact.stats.objective <= _objective(c, found.fills) <= _objective(c, base) + 1e-6
    again = solve_patterns(c, base, AllocationSettings())
    assert again.fills.sort("cand_idx").equals(found.fills.sort("cand_idx"))
