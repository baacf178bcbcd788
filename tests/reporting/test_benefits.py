"""Benefit scenarios: hand-computed with scripted plans, then once through the real optimizer."""

from __future__ import annotations

import json
from dataclasses import replace

import polars as pl
import pytest

from optimizers.settings import AllocationSettings
from optimizers.types import AllocationResult
from reporting.benefits import BENEFIT_SCHEMA, BenefitAssumptions, benefit_scenarios
from tests.hand_plan import HandPlan

SETTINGS = AllocationSettings()


def without_ship_from_store(hand_plan: HandPlan) -> AllocationResult:
    """O1 line 2 comes from DC1 instead of S1: plan cost 27 instead of 25."""
    plan = hand_plan.result
    allocations = plan.allocations.with_columns(
        node_id=pl.when(pl.col("node_id") == "S1").then(pl.lit("DC1")).otherwise("node_id"),
        fulfillment_method=pl.col("fulfillment_method").replace("ship_from_store", "ship_from_dc"),
    )
    terms = {**plan.objective_terms, "parcel_cost": 19.0, "handling_cost": 8.0, "objective": 43.0}
    return replace(plan, allocations=allocations, objective_terms=terms)


def without_bopis(hand_plan: HandPlan) -> AllocationResult:
    """The unit O2 picked up at S2 is backordered; the ship-to-store part stays."""
    plan = hand_plan.result
    allocations = plan.allocations.filter(pl.col("fulfillment_method") != "pickup_in_store")
    backorders = pl.concat(
        [
            plan.backorders,
            pl.DataFrame([("O2", 1, "A", 1, "no_stock")], plan.backorders.schema, orient="row"),
        ]
    )
    terms = {**plan.objective_terms, "handling_cost": 6.25, "objective": 50.0}
    return replace(plan, allocations=allocations, backorders=backorders, objective_terms=terms)


class ScriptedOptimizer:
    """Stands in for optimizers.allocate: a fixed plan per capability switch."""

    def __init__(self, plan: HandPlan, obey: bool = True) -> None:
        self.plan = plan
        self.calls: list[AllocationSettings] = []
        self.obey = obey

    def __call__(self, inputs, settings: AllocationSettings) -> AllocationResult:
        self.calls.append(settings)
        if self.obey and not settings.ship_from_store:
            return without_ship_from_store(self.plan)
        if self.obey and not settings.pickup_in_store:
            return without_bopis(self.plan)
        return self.plan.result


def by_capability(frame: pl.DataFrame) -> dict[str, dict]:
    return {r["capability"]: r for r in frame.to_dicts()}


def test_counterfactual_margins_by_hand(hand_plan) -> None:
    fake = ScriptedOptimizer(hand_plan)
    frame = benefit_scenarios(hand_plan.inputs, SETTINGS, allocate=fake)
    assert frame.schema == pl.Schema(BENEFIT_SCHEMA)
    rows = by_capability(frame)
    sfs = rows["ship_from_store"]
    # margin with: 170 − 60 − 25 = 85; without: 170 − 60 − 27 = 83
    assert (sfs["gross_margin_with"], sfs["gross_margin_without"]) == (85.0, 83.0)
    assert sfs["incremental_gross_margin"] == pytest.approx(2.0)
    assert (sfs["objective_with"], sfs["objective_without"]) == (40.0, 43.0)
    assert (sfs["plan_cost_with"], sfs["plan_cost_without"]) == (25.0, 27.0)
    assert sfs["units_filled_delta"] == 0
    bopis = rows["bopis"]
    # without: revenue 160, COGS 56, plan cost 18 + 6.25 -> 79.75; O2 still visits S2
    assert bopis["gross_margin_without"] == pytest.approx(79.75)
    assert bopis["units_filled_delta"] == 1 and bopis["extra_margin"] == 0.0
    assert bopis["incremental_gross_margin"] == pytest.approx(5.25)
    boris = rows["boris"]
    # 6 home-delivered units x 15 % returned x 40 % to store = 0.36 returns,
    # each worth 6.5 − 1.5 + 20 % x 8 = 6.6
    assert boris["method"] == "assumptions"
    assert boris["incremental_gross_margin"] == pytest.approx(0.36 * 6.6)
    assert boris["gross_margin_with"] == boris["gross_margin_without"] == 85.0
    assert json.loads(boris["assumptions"])["return_rate"] == 0.15
    # with-runs share one plan: all on, sfs off, bopis off
    assert len(fake.calls) == 3
    assert {(s.ship_from_store, s.pickup_in_store) for s in fake.calls} == {
        (True, True),
        (False, True),
        (True, False),
    }


def test_reference_plan_saves_a_solve_and_assumptions_apply(hand_plan) -> None:
    fake = ScriptedOptimizer(hand_plan)
    half = BenefitAssumptions(adoption=0.5, pickup_attach_rate=1.0, attach_margin=10.0)
    rows = by_capability(
        benefit_scenarios(
            hand_plan.inputs, SETTINGS, half, allocate=fake, reference=hand_plan.result
        )
    )
    assert len(fake.calls) == 2
    assert rows["ship_from_store"]["incremental_gross_margin"] == pytest.approx(1.0)
    assert rows["bopis"]["incremental_gross_margin"] == pytest.approx(0.5 * 5.25)


def test_pickup_visits_lost_cost_attach_margin(hand_plan) -> None:
    def lose_o2(inputs, settings):
        if not settings.ship_from_store:
            return without_ship_from_store(hand_plan)
        plan = hand_plan.result
        if settings.pickup_in_store:
            return plan
        kept = plan.allocations.filter(pl.col("order_id") != "O2")
        return replace(plan, allocations=kept)

    assumptions = BenefitAssumptions(pickup_attach_rate=0.5, attach_margin=10.0)
    rows = by_capability(
        benefit_scenarios(hand_plan.inputs, SETTINGS, assumptions, allocate=lose_o2)
    )
    assert rows["bopis"]["extra_margin"] == pytest.approx(5.0)  # one visit x 50 % x 10


def test_a_switch_the_optimizer_ignores_is_an_error(hand_plan) -> None:
    with pytest.raises(RuntimeError, match="ignores the setting"):
        benefit_scenarios(
            hand_plan.inputs, SETTINGS, allocate=ScriptedOptimizer(hand_plan, obey=False)
        )


@pytest.mark.parametrize("bad", [{"return_rate": 1.5}, {"adoption": -0.1}, {"attach_margin": -1}])
def test_assumptions_are_checked(bad) -> None:
    with pytest.raises(ValueError, match="out of range"):
        BenefitAssumptions(**bad)


def test_with_the_real_optimizer(hand_plan) -> None:
    import optimizers

    allocate = getattr(optimizers, "allocate", None)
    if allocate is None:
        pytest.skip("optimizers.allocate is not exported yet")
    settings = AllocationSettings(time_limit_s=20)
    rows = by_capability(benefit_scenarios(hand_plan.inputs, settings, allocate=allocate))
    for capability in ("ship_from_store", "bopis"):
        row = rows[capability]
        # switching a capability off can only make the optimum worse (or equal)
        assert row["objective_without"] >= row["objective_with"] - 1e-6
    off = allocate(hand_plan.inputs, settings.with_(pickup_in_store=False))
    methods = set(off.allocations["fulfillment_method"])
    assert "pickup_in_store" not in methods
    # the pickup line (O2 at S2) is shipped to the store or backordered, never dropped
    o2 = off.allocations.filter(pl.col("order_id") == "O2")["quantity"].sum()
    o2 += off.backorders.filter(pl.col("order_id") == "O2")["quantity"].sum()
    assert o2 == 3
    assert set(off.allocations.filter(pl.col("order_id") == "O2")["fulfillment_method"]) <= {
        "ship_to_store"
    }
