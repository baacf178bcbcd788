"""Benefit scenarios: hand-computed with scripted plans, then once through the real optimizer."""

from __future__ import annotations

import json
from dataclasses import replace

import polars as pl
import pytest

from optimizers.settings import AllocationSettings
from optimizers.types import AllocationResult
from reporting.benefits import (
    BENEFIT_SCHEMA,
    BenefitAssumptions,
    benefit_scenarios,
    boris_extra_margin,
    return_figure_table,
)
from reporting.returns import FIGURES
from tests.hand_plan import HandPlan, rows
from tests.reporting.test_returns import history, returns

SETTINGS = AllocationSettings()


def backorder(order_id: str, line_no: int, sku: str, quantity: int, reason: str) -> dict:
    return {"order_id": order_id, "line_no": line_no, "sku": sku, "quantity": quantity,
            "reason": reason}  # fmt: skip


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
            rows(plan.backorders.schema, backorder("O2", 1, "A", 1, "no_stock")),
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


# ---- BORIS from the business's own returns ---------------------------------------------------

FIGURE_COLUMNS = [c for f in FIGURES for c in (f, f"{f}_source")]


def boris_row(hand_plan: HandPlan, assumptions: BenefitAssumptions, **data) -> dict:
    fake = ScriptedOptimizer(hand_plan)
    frame = benefit_scenarios(hand_plan.inputs, SETTINGS, assumptions, allocate=fake, **data)
    assert frame.schema == pl.Schema(BENEFIT_SCHEMA)
    return by_capability(frame)["boris"]


def test_boris_from_returns_data_by_hand(hand_plan) -> None:
    assumptions = BenefitAssumptions(resale_value_per_unit=2.0)
    boris = boris_row(hand_plan, assumptions, returns=returns(), order_history=history())
    # returns data (tests/reporting/test_returns.py): 40 of 160 home units come back, 30 of
    # them in store, 20 resellable -> 25 %, 75 %, 50 %
    assert (boris["return_rate"], boris["in_store_share"], boris["resale_rate"]) == (
        pytest.approx(0.25),
        pytest.approx(0.75),
        pytest.approx(0.5),
    )
    assert [boris[c] for c in FIGURE_COLUMNS[1::2]] == ["data"] * 3
    assert boris["returned_units"] == 40
    # 6 home-delivered units x 25 % x 75 % = 1.125 store returns, each worth
    # 6.5 − 1.5 + 20 % x 8 + 50 % resellable x 2 = 7.6
    assert boris["extra_margin"] == pytest.approx(1.125 * 7.6)
    assert boris["incremental_gross_margin"] == pytest.approx(8.55)


@pytest.mark.parametrize(
    "data",
    [{}, {"returns": rows(returns().schema), "order_history": history()}],
    ids=["no returns", "empty returns"],
)
def test_without_returns_boris_is_the_assumptions_figure(hand_plan, data) -> None:
    boris = boris_row(hand_plan, BenefitAssumptions(), **data)
    today = 6 * 0.15 * 0.4 * (6.5 - 1.5 + 0.2 * 8.0)  # the estimate before returns existed
    assert boris["extra_margin"] == today
    assert boris_extra_margin(hand_plan.result, BenefitAssumptions()) == today
    assert (boris["return_rate"], boris["in_store_share"], boris["resale_rate"]) == (0.15, 0.4, 0.7)
    assert [boris[c] for c in FIGURE_COLUMNS[1::2]] == ["assumption"] * 3
    assert boris["returned_units"] == 0


def test_too_few_returns_fall_back_and_the_mart_says_so(hand_plan) -> None:
    few = returns().filter(pl.col("return_id") == "R1")  # 20 returned units < 30
    fake = ScriptedOptimizer(hand_plan)
    assumptions = BenefitAssumptions()
    frame = benefit_scenarios(
        hand_plan.inputs, SETTINGS, assumptions, allocate=fake, returns=few, order_history=history()
    )
    boris = by_capability(frame)["boris"]
    assert [boris[c] for c in FIGURE_COLUMNS[1::2]] == ["assumption"] * 3
    assert boris["returned_units"] == 20
    assert boris["incremental_gross_margin"] == pytest.approx(0.36 * 6.6)
    # the counterfactual rows use none of the return figures
    others = frame.filter(pl.col("capability") != "boris").select(*FIGURE_COLUMNS, "returned_units")
    assert others.null_count().row(0) == (2,) * others.width
    table = return_figure_table(frame, assumptions)
    assert table.select("figure", "value", "source", "assumption").rows() == [
        ("return_rate", 0.15, "assumption", 0.15),
        ("in_store_share", 0.4, "assumption", 0.4),
        ("resale_rate", 0.7, "assumption", 0.7),
    ]


def test_return_figure_table_shows_data_beside_the_assumption(hand_plan) -> None:
    fake = ScriptedOptimizer(hand_plan)
    assumptions = BenefitAssumptions()
    frame = benefit_scenarios(
        hand_plan.inputs, SETTINGS, allocate=fake, returns=returns(), order_history=history()
    )
    table = return_figure_table(frame, assumptions)
    assert table.select("figure", "value", "source", "assumption").rows() == [
        ("return_rate", 0.25, "data", 0.15),
        ("in_store_share", 0.75, "data", 0.4),
        ("resale_rate", 0.5, "data", 0.7),
    ]
    assert table["returned_units"].to_list() == [40] * 3


# ---- Units awaiting supply are delayed sales, not lost ones ---------------------------------


def sfs_off_backorders_o1_line_2(hand_plan: HandPlan, reason: str) -> AllocationResult:
    """With ship-from-store off, O1 line 2 (B: price 30, cost 10) is backordered instead of
    filled from S1 (parcel 4 + handling 0.75): plan cost 18 − 4 + 7 − 0.75 = 20.25."""
    plan = hand_plan.result
    allocations = plan.allocations.filter(pl.col("fulfillment_method") != "ship_from_store")
    backorders = pl.concat(
        [plan.backorders, rows(plan.backorders.schema, backorder("O1", 2, "B", 1, reason))]
    )
    terms = {**plan.objective_terms, "parcel_cost": 14.0, "handling_cost": 6.25, "objective": 45}
    return replace(plan, allocations=allocations, backorders=backorders, objective_terms=terms)


@pytest.mark.parametrize(
    ("reason", "deferred", "delta"),
    [
        # lost sale: the capability gains the unit's margin 30 − 10 net of its cost 4.75
        ("no_stock", 0.0, 85.0 - 69.75),
        # supply due after the horizon fills it later: only the cost of filling it now counts
        ("awaiting_supply", 20.0, 85.0 - (69.75 + 20.0)),
    ],
)
def test_awaiting_supply_is_not_a_lost_sale(hand_plan, reason, deferred, delta) -> None:
    def allocate(inputs, settings):
        if not settings.ship_from_store:
            return sfs_off_backorders_o1_line_2(hand_plan, reason)
        if not settings.pickup_in_store:
            return without_bopis(hand_plan)
        return hand_plan.result

    rows_ = by_capability(benefit_scenarios(hand_plan.inputs, SETTINGS, allocate=allocate))
    sfs = rows_["ship_from_store"]
    # without: revenue 170 − 30, COGS 60 − 10, plan cost 20.25 -> 69.75 on the filled units
    assert sfs["gross_margin_without"] == pytest.approx(69.75)
    assert (sfs["deferred_margin_with"], sfs["deferred_margin_without"]) == (0.0, deferred)
    assert sfs["plan_margin_delta"] == pytest.approx(delta)
    assert sfs["incremental_gross_margin"] == pytest.approx(delta)
    assert sfs["units_filled_delta"] == 1


def test_units_both_plans_await_cancel_out(hand_plan) -> None:
    def waiting(plan: AllocationResult) -> AllocationResult:
        """O3's short unit (B: margin 20) is due on supply after the horizon."""
        return replace(
            plan, backorders=plan.backorders.with_columns(reason=pl.lit("awaiting_supply"))
        )

    def allocate(inputs, settings):
        if not settings.ship_from_store:
            return waiting(without_ship_from_store(hand_plan))
        if not settings.pickup_in_store:
            return without_bopis(hand_plan)
        return waiting(hand_plan.result)

    sfs = by_capability(benefit_scenarios(hand_plan.inputs, SETTINGS, allocate=allocate))[
        "ship_from_store"
    ]
    assert (sfs["deferred_margin_with"], sfs["deferred_margin_without"]) == (20.0, 20.0)
    assert sfs["plan_margin_delta"] == pytest.approx(85.0 - 83.0)
