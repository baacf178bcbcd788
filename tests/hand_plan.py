"""A small hand-built plan (inputs + AllocationResult in the documented shapes) for unit tests.

Three orders, three nodes, two skus; every number the KPI tests expect is worked out by hand
in tests/reporting/test_kpis.py from the rows below. Rows are dicts: a column left out is
null, so each row says only what matters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl

from contracts.results import (
    ALLOCATION_SCHEMA,
    BACKORDER_SCHEMA,
    EXPLANATION_SCHEMA,
    PARCEL_SCHEMA,
)
from contracts.tables import ATP_SCHEMA, STAGING_SCHEMAS, empty_frame
from optimizers.types import AllocationInputs, AllocationResult, SolveStats


def rows(schema: dict[str, pl.DataType], *records: dict[str, object]) -> pl.DataFrame:
    """A frame of ``schema`` from dict rows; columns a row leaves out are null."""
    return pl.DataFrame(
        [{name: record.get(name) for name in schema} for record in records] or None,
        schema=schema,
        orient="row",
    )


def nodes() -> pl.DataFrame:
    store = {"node_type": "store", "supports_pickup": True, "handling_cost_per_order": 0.5,
             "handling_cost_per_unit": 0.25}  # fmt: skip
    return rows(
        STAGING_SCHEMAS["nodes"],
        {"node_id": "DC1", "node_type": "dc", "name": "Central DC", "latitude": 50.0,
         "longitude": 8.0, "ship_capacity_units": 100, "ship_capacity_orders": 10,
         "supports_ship": True, "supports_pickup": False, "handling_cost_per_order": 1.0,
         "handling_cost_per_unit": 0.5, "processing_days": 1},
        store | {"node_id": "S1", "name": "Store One", "latitude": 50.1, "longitude": 8.1,
                 "ship_capacity_units": 10, "supports_ship": True, "processing_days": 1},
        store | {"node_id": "S2", "name": "Store Two", "latitude": 50.2, "longitude": 8.2,
                 "ship_capacity_units": 0, "supports_ship": False, "processing_days": 0},
    )  # fmt: skip


def products() -> pl.DataFrame:
    return rows(
        STAGING_SCHEMAS["products"],
        {"sku": "A", "name": "Widget", "unit_cost": 4.0, "weight_kg": 1.0},
        {"sku": "B", "name": "Gadget", "unit_cost": 10.0, "weight_kg": 2.0},
    )


def orders() -> pl.DataFrame:
    t = datetime(2025, 1, 6, 9, tzinfo=UTC)
    line = {"ordered_at": t, "fulfillment_method": "ship", "service_level": "standard"}
    ship_to = {
        "ship_to_latitude": 50.5,
        "ship_to_longitude": 8.5,
        "ship_to_postal_code": "10115",
        "ship_to_country": "DE",
    }
    return rows(
        STAGING_SCHEMAS["orders"],
        line
        | ship_to
        | {
            "order_id": "O1",
            "line_no": 1,
            "channel": "web",
            "customer_id": "C1",
            "sku": "A",
            "quantity": 2,
            "unit_price": 10.0,
            "promised_days": 3,
        },
        line
        | ship_to
        | {
            "order_id": "O1",
            "line_no": 2,
            "channel": "web",
            "customer_id": "C1",
            "sku": "B",
            "quantity": 1,
            "unit_price": 30.0,
            "promised_days": 3,
        },
        line
        | {
            "order_id": "O2",
            "line_no": 1,
            "channel": "mobile",
            "customer_id": "C2",
            "sku": "A",
            "quantity": 3,
            "unit_price": 10.0,
            "fulfillment_method": "pickup",
            "pickup_node_id": "S2",
        },
        line
        | ship_to
        | {
            "order_id": "O3",
            "line_no": 1,
            "channel": "web",
            "customer_id": "C3",
            "sku": "B",
            "quantity": 4,
            "unit_price": 30.0,
            "promised_days": 2,
        },
    )


def stats(method: str = "optimizer", objective: float = 40.0) -> SolveStats:
    return SolveStats(
        method=method,
        solver="highs" if method == "optimizer" else "rule-based",
        status="optimal",
        objective=objective,
        best_bound=objective - 0.04 if method == "optimizer" else None,
        gap=0.001 if method == "optimizer" else None,
        seconds=1.5,
    )


def _fill(
    order_id: str,
    line_no: int,
    sku: str,
    node_id: str,
    quantity: int,
    method: str,
    *,
    parcel_id: str | None = None,
    parcel_cost: float = 0.0,
    handling_cost: float,
    days: int,
    late_units: int = 0,
    destination: str | None = None,
) -> dict[str, object]:
    """An allocation row; price, unit cost and channel follow from the sku and the order."""
    price, cost = (10.0, 4.0) if sku == "A" else (30.0, 10.0)
    return {
        "order_id": order_id,
        "line_no": line_no,
        "sku": sku,
        "node_id": node_id,
        "quantity": quantity,
        "fulfillment_method": method,
        "parcel_id": parcel_id,
        "service_level": "standard",
        "destination_node_id": destination,
        "parcel_cost": parcel_cost,
        "handling_cost": handling_cost,
        "expected_delivery_days": days,
        "late_units": late_units,
        "unit_price": price,
        "unit_cost": cost,
        "channel": "mobile" if order_id == "O2" else "web",
    }


def _parcel(parcel_id, order_id, destination, weight, cost, days) -> dict[str, object]:
    return {
        "parcel_id": parcel_id,
        "order_id": order_id,
        "node_id": "DC1",
        "service_level": "standard",
        "destination": destination,
        "weight_kg": weight,
        "cost": cost,
        "delivery_days": days,
    }


def result() -> AllocationResult:
    """The optimized plan: O1 split DC1+S1, O2 part pickup at S2 + ship-to-store, O3 short 1."""
    allocations = rows(
        ALLOCATION_SCHEMA,
        _fill(
            "O1",
            1,
            "A",
            "DC1",
            2,
            "ship_from_dc",
            parcel_id="P1",
            parcel_cost=5.0,
            handling_cost=2.0,
            days=3,
        ),
        _fill(
            "O1",
            2,
            "B",
            "S1",
            1,
            "ship_from_store",
            parcel_id="P2",
            parcel_cost=4.0,
            handling_cost=0.75,
            days=2,
        ),
        _fill("O2", 1, "A", "S2", 1, "pickup_in_store", handling_cost=0.75, days=0),
        _fill(
            "O2",
            1,
            "A",
            "DC1",
            2,
            "ship_to_store",
            parcel_id="P3",
            parcel_cost=3.0,
            handling_cost=2.0,
            days=4,
            destination="S2",
        ),
        _fill(
            "O3",
            1,
            "B",
            "DC1",
            3,
            "ship_from_dc",
            parcel_id="P4",
            parcel_cost=6.0,
            handling_cost=1.5,
            days=3,
            late_units=3,
        ),
    )
    parcels = rows(
        PARCEL_SCHEMA,
        _parcel("P1", "O1", "customer", 2.0, 5.0, 3),
        _parcel("P2", "O1", "customer", 2.0, 4.0, 2) | {"node_id": "S1"},
        _parcel("P3", "O2", "S2", 2.0, 3.0, 4),
        _parcel("P4", "O3", "customer", 6.0, 6.0, 3),
    )
    backorders = rows(BACKORDER_SCHEMA, _backorder())
    terms = {
        "parcel_cost": 18.0,
        "handling_cost": 7.0,
        "days_cost": 2.5,
        "late_cost": 3.0,
        "backorder_cost": 9.5,
        "objective": 40.0,
    }
    return AllocationResult(
        allocations, backorders, parcels, rows(EXPLANATION_SCHEMA), stats(), terms
    )


def _backorder() -> dict[str, object]:
    return {"order_id": "O3", "line_no": 1, "sku": "B", "quantity": 1, "reason": "no_stock"}


def baseline() -> AllocationResult:
    """Nearest-node plan: everything from DC1 (O1 in one parcel), O3 short 1."""
    allocations = rows(
        ALLOCATION_SCHEMA,
        _fill(
            "O1",
            1,
            "A",
            "DC1",
            2,
            "ship_from_dc",
            parcel_id="Q1",
            parcel_cost=4.0,
            handling_cost=2.0,
            days=3,
        ),
        _fill(
            "O1",
            2,
            "B",
            "DC1",
            1,
            "ship_from_dc",
            parcel_id="Q1",
            parcel_cost=4.0,
            handling_cost=0.5,
            days=3,
        ),
        _fill(
            "O2",
            1,
            "A",
            "DC1",
            3,
            "ship_to_store",
            parcel_id="Q2",
            parcel_cost=5.0,
            handling_cost=2.5,
            days=4,
            destination="S2",
        ),
        _fill(
            "O3",
            1,
            "B",
            "DC1",
            3,
            "ship_from_dc",
            parcel_id="Q3",
            parcel_cost=7.0,
            handling_cost=5.0,
            days=3,
            late_units=3,
        ),
    )
    parcels = rows(
        PARCEL_SCHEMA,
        _parcel("Q1", "O1", "customer", 4.0, 8.0, 3),
        _parcel("Q2", "O2", "S2", 3.0, 5.0, 4),
        _parcel("Q3", "O3", "customer", 6.0, 7.0, 3),
    )
    backorders = rows(BACKORDER_SCHEMA, _backorder())
    terms = {
        "parcel_cost": 20.0,
        "handling_cost": 10.0,
        "days_cost": 3.0,
        "late_cost": 3.0,
        "backorder_cost": 14.0,
        "objective": 50.0,
    }
    return AllocationResult(
        allocations, backorders, parcels, rows(EXPLANATION_SCHEMA), stats("baseline", 50.0), terms
    )


def empty_result() -> AllocationResult:
    """A plan with nothing in it (no orders or nothing fillable)."""
    return AllocationResult(
        rows(ALLOCATION_SCHEMA),
        rows(BACKORDER_SCHEMA),
        rows(PARCEL_SCHEMA),
        rows(EXPLANATION_SCHEMA),
        SolveStats("optimizer", "highs", "empty", 0.0, None, None, 0.0),
        {},
    )


def inputs() -> AllocationInputs:
    """Inputs the real optimizer can solve: stock at all three nodes, one rate band."""
    atp = rows(
        ATP_SCHEMA,
        *(
            {"node_id": n, "sku": s, "available_to_promise": q}
            for n, s, q in (("DC1", "A", 10), ("DC1", "B", 3), ("S1", "B", 1), ("S2", "A", 1))
        ),
    )
    band = {"max_distance_km": 500.0}
    rates = rows(
        STAGING_SCHEMAS["rates"],
        band
        | {
            "service_level": "standard",
            "cost_per_package": 4.0,
            "cost_per_kg": 0.5,
            "transit_days": 2,
        },
        band
        | {
            "service_level": "express",
            "cost_per_package": 9.0,
            "cost_per_kg": 1.0,
            "transit_days": 1,
        },
    )
    return AllocationInputs(
        orders=orders(),
        available_to_promise=atp,
        nodes=nodes(),
        products=products(),
        rates=rates,
        lanes=empty_frame("lanes"),
        exclusions=empty_frame("exclusions"),
    )


@dataclass(frozen=True)
class HandPlan:
    """The hand plan's frames, as the ``hand_plan`` fixture hands them to tests."""

    orders: pl.DataFrame
    nodes: pl.DataFrame
    products: pl.DataFrame
    result: AllocationResult
    baseline: AllocationResult
    empty_result: AllocationResult
    inputs: AllocationInputs


def hand_plan() -> HandPlan:
    return HandPlan(orders(), nodes(), products(), result(), baseline(), empty_result(), inputs())
