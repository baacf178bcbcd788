"""Empty, infeasible and degenerate inputs give plans of backorders with reasons, not errors."""

from __future__ import annotations

from dataclasses import replace

import polars as pl
import pytest

from contracts.tables import ATP_SCHEMA, empty_frame
from optimizers import allocate
from optimizers.allocate import allocate_baseline
from optimizers.numerics import NumericalInputError
from optimizers.types import AllocationInputs
from tests.optimizers.builders import EXACT, line, make_inputs, node, reasons, store
from tests.optimizers.oracle import Referee

BASE = make_inputs([node("A", 1.0)], [line("O1", 1, "X", qty=2)], {("A", "X"): 5})


def run(inputs, settings=EXACT):
    result = allocate(inputs, settings)
    Referee(inputs, settings).check(result)
    return result


def test_no_orders_is_an_empty_plan():
    r = run(replace(BASE, orders=empty_frame("orders")))
    assert r.allocations.is_empty() and r.backorders.is_empty() and r.parcels.is_empty()
    assert r.explanations.is_empty()
    assert r.stats.status == "empty" and r.stats.objective == 0.0 and r.stats.gap == 0.0
    assert r.baseline.stats.objective == 0.0


def test_everything_empty_is_an_empty_plan():
    kinds = ("orders", "nodes", "products", "rates", "lanes", "exclusions")
    inputs = AllocationInputs(
        **{k: empty_frame(k) for k in kinds},
        available_to_promise=pl.DataFrame(schema=ATP_SCHEMA),
    )
    assert allocate(inputs).stats.status == "empty"
    assert allocate_baseline(inputs).allocations.is_empty()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"nodes": empty_frame("nodes")}, "not_shippable"),
        ({"rates": empty_frame("rates")}, "not_shippable"),
        ({"available_to_promise": pl.DataFrame(schema=ATP_SCHEMA)}, "no_stock"),
        ({"products": empty_frame("products")}, "unknown_sku"),
    ],
)
def test_missing_kinds_backorder_every_unit_with_a_reason(change, reason):
    r = run(replace(BASE, **change))
    assert reasons(r) == {("O1", 1): {reason: 2}}
    assert r.stats.status == "empty" and not r.stats.fell_back
    assert r.stats.objective == pytest.approx(200.0)


def test_zero_capacity_and_zero_parcel_limit():
    full = make_inputs([node("A", 1.0, cap=0)], [line("O1", 1, "X")], {("A", "X"): 5})
    assert reasons(run(full)) == {("O1", 1): {"no_capacity": 1}}
    no_orders = make_inputs([node("A", 1.0, cap_orders=0)], [line("O1", 1, "X")], {("A", "X"): 5})
    assert reasons(run(no_orders)) == {("O1", 1): {"no_capacity": 1}}
    no_parcels = EXACT.model_copy(update={"max_parcels_per_order": 0})  # below its range on purpose
    assert reasons(run(BASE, no_parcels)) == {("O1", 1): {"split_limit": 2}}


def test_pickup_at_a_store_without_pickup_is_not_shippable():
    inputs = make_inputs(
        [store("S", 0.0, pickup=False), node("A", 1.0)],
        [line("O1", 1, "X", method="pickup", pickup="S")],
        {("S", "X"): 1, ("A", "X"): 1},
    )
    assert reasons(run(inputs)) == {("O1", 1): {"not_shippable": 1}}
    unknown = make_inputs(
        [node("A", 1.0)], [line("O1", 1, "X", method="pickup", pickup="NOPE")], {("A", "X"): 1}
    )
    assert reasons(run(unknown)) == {("O1", 1): {"not_shippable": 1}}


def test_sloppy_but_readable_frames_are_normalised():
    orders = BASE.orders.with_columns(
        service_level=pl.lit(None, pl.String),
        fulfillment_method=pl.lit("SHIP"),
    )
    orders = pl.concat([orders, orders])  # a duplicate key: the first row counts
    inputs = replace(
        BASE,
        orders=orders,
        exclusions=pl.DataFrame({"node_id": ["B"], "reason": ["closed"]}),  # missing columns
        available_to_promise=pl.concat([BASE.available_to_promise] * 2),
        rates=BASE.rates.with_columns(service_level=pl.col("service_level").str.to_uppercase()),
    )
    r = allocate(inputs, EXACT)
    assert r.allocations["quantity"].to_list() == [2]
    assert r.allocations["service_level"].to_list() == ["standard"]


def test_non_positive_quantities_are_ignored():
    orders = pl.concat(
        [
            BASE.orders,
            BASE.orders.with_columns(line_no=pl.lit(2, pl.Int64), quantity=pl.lit(0, pl.Int64)),
        ]
    )
    r = allocate(replace(BASE, orders=orders), EXACT)
    assert r.allocations.height == 1 and r.backorders.is_empty()
    assert r.explanations.height == 1


def test_inputs_no_solver_can_be_trusted_with_are_refused_not_reported_optimal():
    """The defect report's run: 1e308 in a cost and 9e18 units came back "optimal", gap 0,
    with 41 % of lines filled. Frames that did not come through the contract are refused."""
    huge_price = make_inputs(
        [node("A", 1.0)], [line("O1", 1, "X", qty=2, price=1e308)], {("A", "X"): 5}
    )
    with pytest.raises(NumericalInputError, match=r"lines\.unit_price holds 1e\+308"):
        allocate(huge_price)
    huge_stock = make_inputs(
        [node("A", 1.0)], [line("O1", 1, "X", qty=2)], {("A", "X"): 9 * 10**18}
    )
    with pytest.raises(NumericalInputError, match="available_to_promise"):
        allocate(huge_stock)
