"""Random small instances: every plan is feasible by the independent referee, priced right,
never worse than the rule-based baseline, and equal to a brute-force optimum when tiny."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizers import allocate
from optimizers.settings import AllocationSettings
from tests.optimizers.builders import line, make_inputs, node
from tests.optimizers.oracle import Referee

REASONS = {"no_stock", "no_capacity", "not_shippable", "excluded", "split_limit", "uneconomic"}
SKUS = ["X", "Y", "Z"]


@st.composite
def instances(draw, max_nodes: int = 4, max_lines: int = 6, max_qty: int = 3):
    n_nodes = draw(st.integers(1, max_nodes))
    nodes = []
    for i in range(n_nodes):
        kind = draw(st.sampled_from(["dc", "store"]))
        nodes.append(
            node(
                f"N{i}",
                draw(st.integers(-30, 30)) / 10.0,
                type=kind,
                cap=draw(st.sampled_from([0, 1, 2, 3, 100])),
                cap_orders=draw(st.sampled_from([None, None, 0, 1, 2])),
                ship=draw(st.sampled_from([True, True, True, False])),
                pickup=kind == "store" and draw(st.booleans()),
                h_order=draw(st.sampled_from([0.0, 1.0, 2.5])),
                h_unit=draw(st.sampled_from([0.0, 0.5])),
                proc=draw(st.integers(0, 2)),
            )
        )
    skus = SKUS[: draw(st.integers(1, 3))]
    atp = {(n["node_id"], s): draw(st.integers(0, 3)) for n in nodes for s in skus}
    stores = [n["node_id"] for n in nodes if n["node_type"] == "store"]
    lines = []
    n_orders = draw(st.integers(1, 3))
    for o in range(n_orders):
        lon = draw(st.sampled_from([None, -2.0, 0.0, 1.5, 2.5]))
        zone = draw(st.sampled_from([None, "Z1"]))
        if lon is None and zone is None:
            zone = "Z1"
        service = draw(st.sampled_from(["standard", "express"]))
        for k in range(draw(st.integers(1, 3))):
            if len(lines) >= max_lines:
                break
            pickup = stores and draw(st.integers(0, 3)) == 0
            lines.append(
                line(
                    f"O{o}",
                    k + 1,
                    draw(st.sampled_from(skus)),
                    draw(st.integers(1, max_qty)),
                    price=draw(st.sampled_from([2.0, 10.0, 40.0, 100.0])),
                    method="pickup" if pickup else "ship",
                    pickup=draw(st.sampled_from(stores)) if pickup else None,
                    lon=lon,
                    lat=None if lon is None else 0.0,
                    zone=zone,
                    service=service,
                    promised=draw(st.sampled_from([None, 1, 3])),
                    channel=draw(st.sampled_from(["web", "store"])),
                    customer=draw(st.sampled_from(["C1", "C2"])),
                    minute=o,
                )
            )
    lanes = [
        {
            "node_id": n["node_id"],
            "ship_to_zone": "Z1",
            "service_level": "standard",
            "cost_per_package": draw(st.sampled_from([3.0, 6.0])),
            "cost_per_kg": 0.5,
            "transit_days": 1,
        }
        for n in nodes
        if draw(st.booleans())
    ]
    exclusions = [
        {
            "node_id": draw(st.sampled_from([n["node_id"] for n in nodes])),
            "sku": draw(st.sampled_from([None, *skus])),
            "channel": draw(st.sampled_from([None, "web"])),
            "reason": "rule",
        }
        for _ in range(draw(st.integers(0, 2)))
    ]
    rates = [
        ("standard", 150.0, 4.0, 0.5, 1),
        ("standard", 400.0, 7.0, 1.0, 2),
        ("express", 400.0, 12.0, 1.0, 1),
    ]
    weights = {s: draw(st.sampled_from([0.5, 1.0, 2.0])) for s in skus}
    inputs = make_inputs(
        nodes, lines, atp, weights=weights, rates=rates, lanes=lanes, exclusions=exclusions
    )
    run = AllocationSettings(
        max_parcels_per_order=draw(st.integers(1, 3)),
        ship_from_store=draw(st.booleans()),
        ship_to_store=draw(st.booleans()),
        pickup_in_store=draw(st.booleans()),
        days_weight=draw(st.sampled_from([0.0, 0.1, 1.0])),
        late_penalty=draw(st.sampled_from([0.0, 1.0, 5.0])),
        mip_gap=0.0,
        time_limit_s=20.0,
    )
    return inputs, run


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_plans_are_feasible_priced_right_and_beat_the_baseline(case):
    inputs, run = case
    result = allocate(inputs, run)
    referee = Referee(inputs, run)
    objective = referee.check(result)
    baseline = referee.check(result.baseline)
    assert objective <= baseline + 1e-6 * max(1.0, abs(baseline))
    assert set(result.backorders["reason"]) <= REASONS
    assert set(result.baseline.backorders["reason"]) <= REASONS
    assert result.explanations.height == inputs.orders.height
    assert result.stats.status in {"optimal", "empty"}
    assert result.stats.gap is not None and result.stats.gap <= 1e-6


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_nodes=3, max_lines=3, max_qty=2))
def test_tiny_plans_equal_the_brute_force_optimum(case):
    inputs, run = case
    result = allocate(inputs, run)
    best = Referee(inputs, run).brute_force()
    assert abs(result.stats.objective - best) <= 1e-6 * max(1.0, abs(best))
