"""KPIs of the hand-built plan in tests/plan_factory.py, every expected value worked by hand."""

from __future__ import annotations

import polars as pl
import pytest

from reporting.kpis import SCALAR_UNITS, compute_kpis
from reporting.measures import weighted_quantile


@pytest.fixture(scope="module")
def kpis(hand_plan):
    return compute_kpis(
        hand_plan.orders, hand_plan.nodes, hand_plan.products, hand_plan.result, hand_plan.baseline
    )


def test_fill_rates_and_backorders(kpis) -> None:
    # ordered 2+1+3+4 = 10 units, allocated 2+1+1+2+3 = 9, O3 line short by 1 (no_stock)
    assert (kpis.orders, kpis.lines, kpis.units_ordered) == (3, 4, 10)
    assert (kpis.units_allocated, kpis.units_backordered) == (9, 1)
    assert kpis.fill_rate_units == pytest.approx(0.9)
    assert kpis.fill_rate_lines == pytest.approx(3 / 4)
    assert kpis.fill_rate_orders == pytest.approx(2 / 3)
    assert kpis.backorders_by_reason.to_dicts() == [{"reason": "no_stock", "lines": 1, "units": 1}]


def test_parcels_and_split(kpis) -> None:
    # O1: P1+P2 (two nodes), O2: P3 plus an own-store pickup at S2 (two nodes), O3: P4
    assert kpis.orders_served == 3
    assert kpis.parcels == 4
    assert kpis.parcels_per_order == pytest.approx(4 / 3)
    assert kpis.split_rate == pytest.approx(2 / 3)
    assert kpis.parcels_distribution.to_dicts() == [
        {"parcels": 1, "orders": 2},
        {"parcels": 2, "orders": 1},
    ]


def test_costs_and_margin(kpis) -> None:
    assert kpis.plan_cost == pytest.approx(25.0)  # parcels 18 + handling 7
    assert kpis.cost_per_order == pytest.approx(25 / 3)
    assert kpis.cost_per_unit == pytest.approx(25 / 9)
    # revenue: 5 A x 10 + 4 B x 30 = 170; COGS: 5 x 4 + 4 x 10 = 60
    assert (kpis.revenue, kpis.cogs) == (pytest.approx(170.0), pytest.approx(60.0))
    assert kpis.gross_margin == pytest.approx(85.0)
    assert kpis.gross_margin_rate == pytest.approx(85 / 170)


def test_delivery_and_on_time(kpis) -> None:
    # units by days: 0:1, 2:1, 3:5, 4:2 -> mean 25/9; 90% of 9 units = 8.1 reached at day 4
    assert kpis.delivery_days_distribution.to_dicts() == [
        {"days": 0, "units": 1},
        {"days": 2, "units": 1},
        {"days": 3, "units": 5},
        {"days": 4, "units": 2},
    ]
    assert kpis.delivery_days_mean == pytest.approx(25 / 9)
    assert kpis.delivery_days_p90 == 4
    # promised units: O1 2+1 on time, O3 3 late (3 > 2); O2 has no promise
    assert kpis.on_time_rate == pytest.approx(0.5)


def test_mix_and_utilization(kpis) -> None:
    assert kpis.ship_from_store_share == pytest.approx(1 / 9)
    assert kpis.bopis_share == pytest.approx(1 / 9)
    assert kpis.ship_to_store_share == pytest.approx(2 / 9)
    methods = {r["fulfillment_method"]: r["units"] for r in kpis.method_mix.to_dicts()}
    assert methods == {
        "ship_from_dc": 5,
        "ship_from_store": 1,
        "pickup_in_store": 1,
        "ship_to_store": 2,
    }
    util = kpis.node_utilization
    assert util["node_id"].to_list() == ["S1", "DC1", "S2"]  # by unit utilization, nulls last
    dc = util.filter(pl.col("node_id") == "DC1").row(0, named=True)
    assert (dc["units_shipped"], dc["orders_shipped"]) == (7, 3)
    assert dc["unit_utilization"] == pytest.approx(0.07)
    assert dc["order_utilization"] == pytest.approx(0.3)
    s2 = util.filter(pl.col("node_id") == "S2").row(0, named=True)
    assert (s2["units_shipped"], s2["unit_utilization"], s2["units_picked_up"]) == (0, None, 1)
    assert util.filter(pl.col("node_id") == "S1")["order_utilization"][0] is None  # no limit
    channels = {r["channel"]: r for r in kpis.channel_mix.to_dicts()}
    assert (channels["web"]["orders"], channels["web"]["units_ordered"]) == (2, 7)
    assert channels["web"]["units_allocated"] == 6
    assert channels["mobile"]["unit_share"] == pytest.approx(0.3)


def test_savings_against_baseline(kpis) -> None:
    assert kpis.objective == 40.0 and kpis.baseline_objective == 50.0
    assert kpis.objective_savings == pytest.approx(10.0)
    assert kpis.objective_savings_pct == pytest.approx(20.0)
    assert kpis.baseline_plan_cost == pytest.approx(30.0)
    assert kpis.plan_cost_savings == pytest.approx(5.0)
    assert kpis.plan_cost_savings_pct == pytest.approx(100 * 5 / 30)
    assert kpis.optimality_gap == pytest.approx(0.001)
    assert kpis.solve_seconds == pytest.approx(1.5)
    costs = {r["term"]: r for r in kpis.cost_comparison.to_dicts()}
    assert costs["backorder_cost"]["savings"] == pytest.approx(4.5)
    compared = {r["kpi"]: r for r in kpis.baseline_comparison.to_dicts()}
    # baseline: one parcel per order, no splits
    assert compared["parcels_per_order"]["baseline"] == pytest.approx(1.0)
    assert compared["split_rate"]["baseline"] == pytest.approx(0.0)
    assert compared["split_rate"]["optimized"] == pytest.approx(2 / 3)


def test_long_format_covers_every_scalar(kpis) -> None:
    long = kpis.to_long()
    assert long.columns == ["kpi", "value", "unit"]
    values = dict(zip(long["kpi"], long["value"], strict=True))
    assert set(SCALAR_UNITS) < set(values)
    assert values["fill_rate_units"] == pytest.approx(0.9)
    assert values["backordered_units.no_stock"] == 1.0


def test_empty_plan_has_no_division_by_zero(hand_plan) -> None:
    empty = hand_plan.empty_result
    kpis = compute_kpis(hand_plan.orders.clear(), hand_plan.nodes, hand_plan.products, empty, empty)
    assert kpis.fill_rate_units is None and kpis.delivery_days_p90 is None
    assert kpis.objective_savings_pct is None and kpis.plan_cost == 0.0
    assert kpis.to_long().height >= len(SCALAR_UNITS)


def test_unfilled_orders_count_against_fill_rate(hand_plan) -> None:
    kpis = compute_kpis(
        hand_plan.orders, hand_plan.nodes, hand_plan.products, hand_plan.empty_result
    )
    assert kpis.fill_rate_units == 0.0 and kpis.fill_rate_orders == 0.0
    assert kpis.baseline_objective is None and kpis.baseline_comparison["baseline"].null_count() > 0


def test_weighted_quantile() -> None:
    days, units = pl.Series([1, 5, 2]), pl.Series([9, 1, 0])
    assert weighted_quantile(days, units, 0.9) == 1  # 9 of 10 units reach day 1
    assert weighted_quantile(days, units, 0.95) == 5
    assert weighted_quantile(days, pl.Series([0, 0, 0]), 0.9) is None
