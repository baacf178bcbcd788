"""Supply on its way, as the optimizer sees it: sources that ship later, on their own day.

Geometry as in ``builders``: on the equator, 1 degree = 111.19 km; a customer at lon 0 is
within the first standard band (5.0, 1 transit day) of a node at lon 1.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import polars as pl

from contracts.results import ALLOCATION_SCHEMA
from optimizers import allocate
from optimizers.plan.check import audit_plan
from optimizers.settings import AllocationSettings
from optimizers.types import SUPPLY_CAPACITY_SCHEMA, SUPPLY_INPUT_SCHEMA
from samples.synthetic import synthetic_inputs
from tests.optimizers.builders import EXACT, T0, line, make_inputs, node, reasons, store

ETA = T0 + timedelta(days=2, hours=3)


def supply(rows: list[tuple[str, str, int, int]]) -> pl.DataFrame:
    """(node_id, sku, wait_days, units) rows due ``wait_days`` after T0."""
    return pl.DataFrame(
        [
            {
                "node_id": n,
                "sku": s,
                "wait_days": w,
                "expected_at": T0 + timedelta(days=w, hours=3),
                "available_to_promise": q,
            }
            for n, s, w, q in rows
        ],
        schema=SUPPLY_INPUT_SCHEMA,
    )


def solved(inputs, settings=EXACT):
    result = allocate(inputs, settings)
    assert audit_plan(inputs, result, settings) == []
    assert audit_plan(inputs, result.baseline, settings) == []
    return result


def test_a_line_filled_from_supply_arriving_in_two_days_waits_for_it():
    inputs = make_inputs([node("A", 1.0, proc=1)], [line("O1", 1, "X", 3)], {})
    inputs = replace(inputs, supply=supply([("A", "X", 2, 5)]))
    r = solved(inputs)
    row = r.allocations.row(0, named=True)
    assert (row["node_id"], row["quantity"]) == ("A", 3)
    assert row["expected_delivery_days"] == 2 + 1 + 1  # waiting, processing, transit
    assert row["available_at"] == ETA
    assert r.backorders.is_empty()
    assert "waits 2 day(s) for supply on its way to A" in r.explanations["explanation"][0]


def test_supply_waiting_days_count_against_the_promise():
    late = make_inputs([node("A", 1.0)], [line("O1", 1, "X", 1, promised=2)], {})
    late = replace(late, supply=supply([("A", "X", 2, 1)]))
    r = solved(late, replace_settings(late_penalty=1.0))
    assert r.allocations["late_units"].to_list() == [1]  # 2 waiting + 1 transit > 2 promised


def replace_settings(**changes) -> AllocationSettings:
    return EXACT.with_(**changes)


def test_supply_beyond_the_horizon_is_not_used_and_the_backorder_says_when_it_comes():
    inputs = make_inputs([node("A", 1.0)], [line("O1", 1, "X", 2)], {})
    inputs = replace(inputs, supply=supply([("A", "X", 9, 1)]))
    r = solved(inputs)  # horizon 7 by default
    assert r.allocations.is_empty()
    assert reasons(r) == {("O1", 1): {"awaiting_supply": 1, "no_stock": 1}}
    waiting = r.backorders.filter(pl.col("reason") == "awaiting_supply")
    assert waiting["expected_at"].to_list() == [T0 + timedelta(days=9, hours=3)]
    longer = solved(inputs, replace_settings(supply_horizon_days=9))
    assert longer.allocations["quantity"].to_list() == [1]


def test_horizon_zero_plans_on_hand_stock_only():
    inputs = make_inputs([node("A", 1.0)], [line("O1", 1, "X", 2)], {("A", "X"): 1})
    inputs = replace(inputs, supply=supply([("A", "X", 1, 5)]))
    r = solved(inputs, replace_settings(supply_horizon_days=0))
    assert r.allocations["quantity"].to_list() == [1]
    assert r.allocations["available_at"].null_count() == 1
    assert reasons(r) == {("O1", 1): {"awaiting_supply": 1}}


def test_on_hand_and_supply_of_one_node_ship_in_separate_parcels_on_their_days():
    inputs = make_inputs([node("A", 1.0)], [line("O1", 1, "X", 3)], {("A", "X"): 1})
    inputs = replace(inputs, supply=supply([("A", "X", 2, 5)]))
    # 1 now (5 + 1 x 1 day x 3) + 2 later (5 + 2 x 3 days x 3) = 31 beats all 3 later (32)
    r = solved(inputs, replace_settings(days_weight=3.0))
    rows = r.allocations.sort("available_at", nulls_last=False)
    assert rows["quantity"].to_list() == [1, 2]
    assert rows["available_at"].to_list() == [None, ETA]
    assert rows["parcel_id"].n_unique() == 2
    assert r.parcels.height == 2


def test_supply_ships_against_the_capacity_of_its_own_day():
    inputs = make_inputs([node("A", 1.0, cap=1)], [line("O1", 1, "X", 3)], {("A", "X"): 5})
    inputs = replace(inputs, supply=supply([("A", "X", 2, 5)]))
    # 1 unit today, 1 on the day the supply arrives (its full capacity: 1)
    r = solved(inputs, replace_settings(days_weight=3.0))
    assert sorted(r.allocations["quantity"].to_list()) == [1, 1]
    full = pl.DataFrame(
        [{"node_id": "A", "wait_days": 2, "ship_capacity_units": 0}], schema=SUPPLY_CAPACITY_SCHEMA
    )
    r = solved(replace(inputs, supply_capacity=full), replace_settings(days_weight=3.0))
    assert r.allocations["quantity"].to_list() == [1]
    assert r.allocations["available_at"].to_list() == [None]


def test_supply_at_a_pickup_store_is_a_later_bopis():
    inputs = make_inputs(
        [store("S", 0.0)], [line("O1", 1, "X", 1, method="pickup", pickup="S")], {}
    )
    inputs = replace(inputs, supply=supply([("S", "X", 1, 1)]))
    r = solved(inputs)
    row = r.allocations.row(0, named=True)
    assert (row["fulfillment_method"], row["available_at"]) == (
        "pickup_in_store",
        ETA - timedelta(days=1),
    )


def test_pickup_capacity_gives_the_store_s_slots_first_come_first_served():
    lines = [line(f"O{i}", 1, "X", 1, method="pickup", pickup="S", minute=i) for i in (1, 2, 3)]
    nodes = [store("S", 0.0, pickup_capacity_orders=2), node("D", 5.0)]
    inputs = make_inputs(nodes, lines, {("S", "X"): 5, ("D", "X"): 5})
    r = solved(inputs)
    methods = dict(zip(r.allocations["order_id"], r.allocations["fulfillment_method"], strict=True))
    assert methods == {"O1": "pickup_in_store", "O2": "pickup_in_store", "O3": "ship_to_store"}


def test_plan_checker_refuses_supply_the_plan_may_not_use():
    inputs = make_inputs([node("A", 1.0)], [line("O1", 1, "X", 1)], {})
    inputs = replace(inputs, supply=supply([("A", "X", 9, 1)]))
    r = solved(inputs, replace_settings(supply_horizon_days=9))
    broken = audit_plan(inputs, r, EXACT)  # the same plan judged with a 7-day horizon
    assert broken == ["1 node x sku x arrival above the supply due within the horizon"]
    assert set(ALLOCATION_SCHEMA) <= set(r.allocations.columns)


def test_same_inputs_with_supply_in_any_row_order_give_the_same_plan():
    inputs = synthetic_inputs(300, 12, 60, seed=3, stock_density=0.15, supply_share=0.4)
    assert inputs.supply.height > 0
    shuffled = replace(
        inputs,
        supply=inputs.supply.sample(fraction=1.0, shuffle=True, seed=5),
        nodes=inputs.nodes.reverse(),
        orders=inputs.orders.sample(fraction=1.0, shuffle=True, seed=6),
    )
    settings = AllocationSettings(mip_gap=0.0)
    first, again = allocate(inputs, settings), allocate(shuffled, settings)
    assert first.allocations["available_at"].is_not_null().any()
    for name in ("allocations", "backorders", "parcels", "explanations"):
        assert getattr(again, name).equals(getattr(first, name)), name
    assert audit_plan(inputs, first, settings) == []
