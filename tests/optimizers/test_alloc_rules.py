"""One rule at a time on instances small enough to know the optimum by reasoning.

Geometry: everything on the equator; 1 degree = 111.19 km. Bands (standard): <=200 km 5.0,
<=1000 km 8.0, <=3000 km 12.0; no per-kg cost unless a test says so. EXACT settings: no
days or late weight, gap 0.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from optimizers import allocate
from optimizers.allocate import allocate_baseline, evaluate_plan
from tests.optimizers.builders import (
    EXACT,
    line,
    make_inputs,
    node,
    placed,
    reasons,
    store,
)
from tests.optimizers.oracle import Referee


def solve(inputs, settings=EXACT):
    result = allocate(inputs, settings)
    Referee(inputs, settings).check(result)
    Referee(inputs, settings).check(result.baseline)
    return result


def test_nearest_node_wins_and_costs_its_band():
    inputs = make_inputs(
        [node("A", 1.0), node("B", 5.0)], [line("O1", 1, "X")], {("A", "X"): 1, ("B", "X"): 1}
    )
    r = solve(inputs)
    assert placed(r) == {("O1", 1): {"A": 1}}
    assert r.stats.objective == pytest.approx(5.0)
    assert r.stats.status == "optimal" and r.stats.gap == pytest.approx(0.0, abs=1e-9)
    assert r.plan_cost == pytest.approx(5.0)
    assert r.allocations["fulfillment_method"].to_list() == ["ship_from_dc"]
    assert r.allocations["parcel_id"].to_list() == ["O1-A-standard-1"]


def test_unit_capacity_pushes_a_line_to_the_second_nearest_node():
    inputs = make_inputs(
        [node("A", 1.0, cap=1), node("B", 5.0)],
        [line("O1", 1, "X", minute=0), line("O2", 1, "X", minute=1)],
        {("A", "X"): 5, ("B", "X"): 5},
    )
    r = solve(inputs)
    assert sorted(n for v in placed(r).values() for n in v) == ["A", "B"]
    assert r.stats.objective == pytest.approx(5.0 + 8.0)


def test_split_across_nodes_when_one_has_too_little_stock():
    inputs = make_inputs(
        [node("A", 1.0), node("B", 5.0)],
        [line("O1", 1, "X", qty=3)],
        {("A", "X"): 2, ("B", "X"): 2},
    )
    r = solve(inputs)
    assert placed(r) == {("O1", 1): {"A": 2, "B": 1}}
    assert r.parcels.height == 2


def test_parcel_limit_backorders_the_least_valuable_line():
    lines = [
        line("O1", 1, "X", price=100.0),
        line("O1", 2, "Y", price=100.0),
        line("O1", 3, "Z", price=50.0),
    ]
    inputs = make_inputs(
        [node("A", 1.0), node("B", 1.5), node("C", 2.0)],
        lines,
        {("A", "X"): 1, ("B", "Y"): 1, ("C", "Z"): 1},
    )
    r = solve(inputs, EXACT.with_(max_parcels_per_order=2))
    assert placed(r) == {("O1", 1): {"A": 1}, ("O1", 2): {"B": 1}}
    assert reasons(r) == {("O1", 3): {"split_limit": 1}}
    assert r.parcels.height == 2


def test_consolidation_beats_two_nearer_parcels():
    # A (far, 8.0) has both skus; B and C (near, 5.0 each) have one each: 8 < 10.
    inputs = make_inputs(
        [node("A", 5.0), node("B", 1.0), node("C", 1.2)],
        [line("O1", 1, "X"), line("O1", 2, "Y")],
        {("A", "X"): 1, ("A", "Y"): 1, ("B", "X"): 1, ("C", "Y"): 1},
    )
    r = solve(inputs)
    assert placed(r) == {("O1", 1): {"A": 1}, ("O1", 2): {"A": 1}}
    assert r.stats.objective == pytest.approx(8.0)
    assert r.baseline.stats.objective == pytest.approx(10.0)  # nearest first: B and C


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"node_id": "A", "sku": "X"}, "B"),
        ({"node_id": "A", "customer_id": "C1"}, "B"),
        ({"node_id": "A", "channel": "web"}, "B"),
        ({"node_id": "A"}, "B"),  # no filter: node closed for everything
        ({"node_id": "A", "sku": "X", "channel": "store"}, "A"),  # not all fields match
        ({"node_id": "A", "sku": "OTHER"}, "A"),  # an unknown sku excludes nothing here
    ],
)
def test_exclusions_need_every_non_empty_field_to_match(rule, expected):
    inputs = make_inputs(
        [node("A", 1.0), node("B", 5.0)],
        [line("O1", 1, "X")],
        {("A", "X"): 1, ("B", "X"): 1},
        exclusions=[{**rule, "reason": "test"}],
    )
    r = solve(inputs)
    assert placed(r) == {("O1", 1): {expected: 1}}


def test_every_node_excluded_gives_an_excluded_backorder():
    inputs = make_inputs(
        [node("A", 1.0)],
        [line("O1", 1, "X")],
        {("A", "X"): 1},
        exclusions=[{"node_id": "A", "sku": "X", "reason": "hazmat"}],
    )
    r = solve(inputs)
    assert reasons(r) == {("O1", 1): {"excluded": 1}}


def test_pickup_at_own_store_uses_no_parcel_and_no_ship_capacity():
    inputs = make_inputs(
        [store("S", 0.0, cap=0, h_order=2.0, h_unit=0.5, proc=1), node("A", 1.0)],
        [line("O1", 1, "X", qty=2, method="pickup", pickup="S")],
        {("S", "X"): 2, ("A", "X"): 5},
    )
    r = solve(inputs)
    row = r.allocations.row(0, named=True)
    assert (row["node_id"], row["fulfillment_method"], row["quantity"]) == (
        "S",
        "pickup_in_store",
        2,
    )
    assert row["parcel_id"] is None and row["destination_node_id"] == "S"
    assert r.parcels.height == 0
    assert r.stats.objective == pytest.approx(2.0 + 2 * 0.5)  # handling only
    assert row["expected_delivery_days"] == 1


def test_ship_to_store_when_the_pickup_store_has_no_stock():
    # DC A is 2 degrees (222 km) from store S: band <=1000 km, 8.0; 3 days = 1 + 2.
    inputs = make_inputs(
        [store("S", 0.0), node("A", 2.0, proc=1)],
        [line("O1", 1, "X", method="pickup", pickup="S")],
        {("A", "X"): 1},
    )
    r = solve(inputs)
    row = r.allocations.row(0, named=True)
    assert (row["node_id"], row["fulfillment_method"]) == ("A", "ship_to_store")
    assert row["destination_node_id"] == "S"
    assert row["expected_delivery_days"] == 3
    assert r.parcels["destination"].to_list() == ["S"]
    assert r.stats.objective == pytest.approx(8.0)
    off = solve(inputs, EXACT.with_(ship_to_store=False))
    assert reasons(off) == {("O1", 1): {"no_stock": 1}}


def test_pickup_takes_own_stock_and_tops_up_by_ship_to_store():
    inputs = make_inputs(
        [store("S", 0.0, h_order=1.0), node("A", 1.0)],
        [line("O1", 1, "X", qty=3, method="pickup", pickup="S")],
        {("S", "X"): 2, ("A", "X"): 1},
    )
    r = solve(inputs)
    assert placed(r) == {("O1", 1): {"S": 2, "A": 1}}
    assert r.stats.objective == pytest.approx(1.0 + 5.0)


def test_one_ship_to_store_parcel_beats_own_stock_plus_a_top_up():
    # S2 + A1 pays S's handling and a parcel (6.0); A3 pays one parcel (5.0).
    inputs = make_inputs(
        [store("S", 0.0, h_order=1.0), node("A", 1.0)],
        [line("O1", 1, "X", qty=3, method="pickup", pickup="S")],
        {("S", "X"): 2, ("A", "X"): 5},
    )
    r = solve(inputs)
    assert placed(r) == {("O1", 1): {"A": 3}}
    assert placed(r.baseline) == {("O1", 1): {"S": 2, "A": 1}}


def test_bopis_switch_off_leaves_only_ship_to_store():
    inputs = make_inputs(
        [store("S", 0.0), node("A", 1.0)],
        [line("O1", 1, "X", method="pickup", pickup="S")],
        {("S", "X"): 1, ("A", "X"): 1},
    )
    r = solve(inputs, EXACT.with_(pickup_in_store=False))
    assert r.allocations["fulfillment_method"].to_list() == ["ship_to_store"]


def test_a_lane_overrides_the_band():
    lanes = [
        {
            "node_id": "B",
            "ship_to_zone": "Z9",
            "service_level": "standard",
            "cost_per_package": 2.0,
            "cost_per_kg": 0.0,
            "transit_days": 1,
        }
    ]
    inputs = make_inputs(
        [node("A", 1.0), node("B", 5.0)],
        [line("O1", 1, "X", zone="Z9")],
        {("A", "X"): 1, ("B", "X"): 1},
        lanes=lanes,
    )
    r = solve(inputs)
    assert placed(r) == {("O1", 1): {"B": 1}}  # lane 2.0 beats A's band 5.0
    assert r.stats.objective == pytest.approx(2.0)


def test_zone_only_line_ships_only_where_a_lane_exists():
    lanes = [
        {
            "node_id": "B",
            "ship_to_zone": "Z9",
            "service_level": "standard",
            "cost_per_package": 7.0,
            "cost_per_kg": 0.0,
            "transit_days": 2,
        }
    ]
    inputs = make_inputs(
        [node("A", 1.0), node("B", 5.0)],
        [line("O1", 1, "X", zone="Z9", lon=None, lat=None)],
        {("A", "X"): 1, ("B", "X"): 1},
        lanes=lanes,
    )
    assert placed(solve(inputs)) == {("O1", 1): {"B": 1}}
    no_lane = replace(inputs, lanes=inputs.lanes.clear())
    assert reasons(solve(no_lane)) == {("O1", 1): {"not_shippable": 1}}


def test_beyond_the_largest_band_is_not_shippable():
    inputs = make_inputs([node("A", 30.0)], [line("O1", 1, "X")], {("A", "X"): 1})  # 3336 km
    r = solve(inputs)
    assert reasons(r) == {("O1", 1): {"not_shippable": 1}}
    assert r.allocations.height == 0


def test_backorder_when_filling_costs_more_than_the_penalty():
    inputs = make_inputs([node("A", 1.0)], [line("O1", 1, "X", price=3.0)], {("A", "X"): 1})
    r = solve(inputs)
    assert reasons(r) == {("O1", 1): {"uneconomic": 1}}
    assert r.stats.objective == pytest.approx(3.0)
    assert placed(r.baseline) == {("O1", 1): {"A": 1}}  # the rule fills it anyway
    assert r.baseline.stats.objective == pytest.approx(5.0)


def test_order_capacity_sends_the_second_order_elsewhere():
    inputs = make_inputs(
        [node("A", 1.0, cap_orders=1), node("B", 5.0)],
        [line("O1", 1, "X", minute=0), line("O1", 2, "Y", minute=0), line("O2", 1, "X", minute=1)],
        {("A", "X"): 5, ("A", "Y"): 5, ("B", "X"): 5, ("B", "Y"): 5},
    )
    r = solve(inputs)
    nodes_of = {k[0]: set(v) for k, v in placed(r).items()}
    assert {frozenset(nodes_of["O1"]), frozenset(nodes_of["O2"])} == {
        frozenset({"A"}),
        frozenset({"B"}),
    }
    # O1 (two lines, one parcel) and O2 cost the same per parcel: one order per node either way
    assert r.stats.objective == pytest.approx(5.0 + 8.0)


def test_order_capacity_counts_orders_not_parcels():
    # One order with a ship line and a ship-to-store line from A: two parcels, one order.
    inputs = make_inputs(
        [node("A", 1.0, cap_orders=1), store("S", 0.5)],
        [line("O1", 1, "X"), line("O1", 2, "Y", method="pickup", pickup="S")],
        {("A", "X"): 1, ("A", "Y"): 1},
    )
    r = solve(inputs)
    assert r.parcels.height == 2 and r.backorders.height == 0


def test_ship_from_store_switch_and_supports_ship():
    nodes = [store("T", 0.5), node("D", 5.0)]
    inputs = make_inputs(nodes, [line("O1", 1, "X")], {("T", "X"): 1, ("D", "X"): 1})
    on = solve(inputs)
    assert on.allocations["fulfillment_method"].to_list() == ["ship_from_store"]
    off = solve(inputs, EXACT.with_(ship_from_store=False))
    assert placed(off) == {("O1", 1): {"D": 1}}
    cannot = make_inputs(
        [store("T", 0.5, ship=False), node("D", 5.0)],
        [line("O1", 1, "X")],
        {("T", "X"): 1, ("D", "X"): 1},
    )
    assert placed(solve(cannot)) == {("O1", 1): {"D": 1}}


def test_late_penalty_and_days_weight_move_a_line_to_a_faster_node():
    # A: 5.0 but 3 + 1 = 4 days (late against 2); B: 8.0 and 0 + 2 = 2 days.
    nodes = [node("A", 1.0, proc=3), node("B", 5.0)]
    inputs = make_inputs(nodes, [line("O1", 1, "X", promised=2)], {("A", "X"): 1, ("B", "X"): 1})
    assert placed(solve(inputs)) == {("O1", 1): {"A": 1}}  # late costs nothing in EXACT
    late = EXACT.with_(late_penalty=4.0)  # A: 5 + 4 > B: 8
    r = solve(inputs, late)
    assert placed(r) == {("O1", 1): {"B": 1}}
    slow = EXACT.with_(days_weight=2.0)  # A: 5 + 8 > B: 8 + 4
    assert placed(solve(inputs, slow)) == {("O1", 1): {"B": 1}}


def test_handling_costs_per_order_and_per_unit():
    inputs = make_inputs(
        [node("A", 1.0, h_order=2.0, h_unit=0.25)],
        [line("O1", 1, "X", qty=2), line("O1", 2, "Y", qty=1)],
        {("A", "X"): 2, ("A", "Y"): 1},
    )
    r = solve(inputs)
    assert r.objective_terms["handling_cost"] == pytest.approx(2.0 + 3 * 0.25)
    assert r.objective_terms["parcel_cost"] == pytest.approx(5.0)
    assert r.allocations["handling_cost"].sum() == pytest.approx(2.75)


def test_parcel_cost_shares_follow_weight():
    rates = [("standard", 1000.0, 4.0, 1.0, 1)]
    inputs = make_inputs(
        [node("A", 1.0)],
        [line("O1", 1, "X"), line("O1", 2, "Y")],
        {("A", "X"): 1, ("A", "Y"): 1},
        weights={"X": 1.0, "Y": 3.0},
        rates=rates,
    )
    r = solve(inputs)
    shares = dict(zip(r.allocations["sku"], r.allocations["parcel_cost"], strict=True))
    assert shares["X"] == pytest.approx(4.0 * 0.25 + 1.0)
    assert shares["Y"] == pytest.approx(4.0 * 0.75 + 3.0)
    assert r.parcels["cost"].to_list() == [pytest.approx(8.0)]
    assert r.parcels["weight_kg"].to_list() == [pytest.approx(4.0)]


def test_express_lines_use_express_bands():
    inputs = make_inputs([node("A", 1.0)], [line("O1", 1, "X", service="express")], {("A", "X"): 1})
    r = solve(inputs)
    assert r.stats.objective == pytest.approx(9.0)
    assert r.allocations["parcel_id"].to_list() == ["O1-A-express-1"]


def test_evaluate_plan_prices_any_plan_with_the_same_objective():
    inputs = make_inputs(
        [node("A", 5.0), node("B", 1.0), node("C", 1.2)],
        [line("O1", 1, "X"), line("O1", 2, "Y")],
        {("A", "X"): 1, ("A", "Y"): 1, ("B", "X"): 1, ("C", "Y"): 1},
    )
    r = allocate(inputs, EXACT)
    base = allocate_baseline(inputs, EXACT)
    assert evaluate_plan(inputs, r.allocations, EXACT)["objective"] == pytest.approx(8.0)
    assert evaluate_plan(inputs, base.allocations, EXACT)["objective"] == pytest.approx(10.0)
    assert base.stats.objective == pytest.approx(10.0) and base.stats.method == "baseline"
    bad = r.allocations.with_columns(fulfillment_method=__import__("polars").lit("pickup_in_store"))
    with pytest.raises(ValueError):
        evaluate_plan(inputs, bad, EXACT)
