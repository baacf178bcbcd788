"""Backorder reasons per unit and explanations a planner can act on."""

from __future__ import annotations

from optimizers import allocate
from tests.optimizers.builders import EXACT, line, make_inputs, node, reasons


def explain(result, order_id="O1", line_no=1) -> dict:
    rows = result.explanations.filter(
        (result.explanations["order_id"] == order_id) & (result.explanations["line_no"] == line_no)
    )
    assert rows.height == 1
    return rows.row(0, named=True)


def test_cheapest_choice_names_the_alternative_it_beat():
    inputs = make_inputs(
        [node("A", 1.0), node("B", 5.0)], [line("O1", 1, "X")], {("A", "X"): 1, ("B", "X"): 1}
    )
    e = explain(allocate(inputs, EXACT))
    assert (e["node_id"], e["alternative_node_id"], e["binding"]) == ("A", "B", "cheapest")
    assert e["chosen_cost"] == 5.0 and e["alternative_cost"] == 8.0
    assert "A at 5.0" in e["explanation"] and "B" in e["explanation"]


def test_a_forced_choice_names_the_constraint():
    # O1 (earlier, higher value) and O2 both want A (1 unit of stock); O2 goes to B.
    inputs = make_inputs(
        [node("A", 1.0), node("B", 5.0)],
        [
            line("O1", 1, "X", minute=0, price=100.0),
            line("O2", 1, "X", minute=1, price=100.0, lon=0.5),
        ],
        {("A", "X"): 1, ("B", "X"): 1},
    )
    r = allocate(inputs, EXACT)
    forced = [explain(r, o) for o in ("O1", "O2") if explain(r, o)["node_id"] == "B"][0]
    assert forced["binding"] == "stock" and "stock" in forced["explanation"]

    capped = make_inputs(
        [node("A", 1.0, cap=1), node("B", 5.0)],
        inputs.orders.to_dicts(),
        {("A", "X"): 5, ("B", "X"): 5},
    )
    r = allocate(capped, EXACT)
    forced = [explain(r, o) for o in ("O1", "O2") if explain(r, o)["node_id"] == "B"][0]
    assert forced["binding"] == "capacity"


def test_only_option_and_split_are_said():
    inputs = make_inputs(
        [node("A", 1.0), node("B", 5.0)],
        [line("O1", 1, "X", qty=3)],
        {("A", "X"): 2, ("B", "X"): 2},
    )
    e = explain(allocate(inputs, EXACT))
    assert e["node_id"] == "A" and "Split across 2 nodes" in e["explanation"]
    single = make_inputs([node("A", 1.0)], [line("O1", 1, "X")], {("A", "X"): 1})
    assert explain(allocate(single, EXACT))["binding"] == "only_option"


def test_uneconomic_backorder_is_explained_against_the_penalty():
    inputs = make_inputs([node("A", 1.0)], [line("O1", 1, "X", price=3.0)], {("A", "X"): 1})
    r = allocate(inputs, EXACT)
    e = explain(r)
    assert e["node_id"] is None and e["binding"] == "uneconomic"
    assert "cheapest first at A, would cost 5.0 against a penalty of 3.0" in e["explanation"]


def test_partial_backorders_split_by_reason():
    # 3 units wanted; A ships at most 1 (capacity) though it has 5; nothing else has stock.
    inputs = make_inputs([node("A", 1.0, cap=1)], [line("O1", 1, "X", qty=3)], {("A", "X"): 5})
    r = allocate(inputs, EXACT)
    assert reasons(r) == {("O1", 1): {"no_capacity": 2}}
    e = explain(r)
    assert e["backordered"] == 2 and "2 units backordered" in e["explanation"]
    # stock for 1, capacity for 3: the rest is no_stock
    short = make_inputs([node("A", 1.0, cap=3)], [line("O1", 1, "X", qty=3)], {("A", "X"): 1})
    assert reasons(allocate(short, EXACT)) == {("O1", 1): {"no_stock": 2}}


def test_split_limit_reason_when_another_parcel_is_not_allowed():
    inputs = make_inputs(
        [node("A", 1.0), node("B", 5.0)],
        [line("O1", 1, "X", qty=2)],
        {("A", "X"): 1, ("B", "X"): 1},
    )
    r = allocate(inputs, EXACT.with_(max_parcels_per_order=1))
    assert reasons(r) == {("O1", 1): {"split_limit": 1}}


def test_baseline_explains_its_rule():
    inputs = make_inputs(
        [node("A", 5.0), node("B", 1.0), node("C", 1.2)],
        [line("O1", 1, "X"), line("O1", 2, "Y")],
        {("A", "X"): 1, ("A", "Y"): 1, ("B", "X"): 1, ("C", "Y"): 1},
    )
    r = allocate(inputs, EXACT)
    assert set(r.explanations["binding"]) == {"cheapest"}  # A consolidates: 4.0 each
    assert set(r.baseline.explanations["binding"]) == {"cheapest"}
    assert r.baseline.stats.method == "baseline"


def test_every_uneconomic_backorder_carries_its_fill_cost_against_its_penalty():
    """The unfilled line and the unfilled part of a split line both say it in numbers."""
    whole = allocate(
        make_inputs([node("A", 1.0)], [line("O1", 1, "X", price=3.0)], {("A", "X"): 1}), EXACT
    )
    row = whole.backorders.row(0, named=True)
    assert (row["reason"], row["cheapest_node_id"]) == ("uneconomic", "A")
    assert row["fill_cost"] == 5.0 and row["penalty"] == 3.0 > 0
    # 2 units wanted at 10.0: A has 1 (cheap), B the other at a handling cost above its price.
    part = allocate(
        make_inputs(
            [node("A", 1.0), node("B", 2.0, h_order=30.0)],
            [line("O1", 1, "X", qty=2, price=10.0)],
            {("A", "X"): 1, ("B", "X"): 5},
        ),
        EXACT,
    )
    assert reasons(part) == {("O1", 1): {"uneconomic": 1}}
    row = part.backorders.row(0, named=True)
    assert row["cheapest_node_id"] == "B" and row["penalty"] == 10.0
    assert row["fill_cost"] > row["penalty"]
    e = explain(part)
    assert e["node_id"] == "A"
    assert (
        f"Filling its 1 uneconomic unit(s), cheapest first at B, would cost {row['fill_cost']} "
        "against a penalty of 10.0." in e["explanation"]
    )
