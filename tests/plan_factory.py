"""A small hand-built plan (inputs + AllocationResult in the documented shapes) for unit tests.

Three orders, three nodes, two skus; every number the KPI tests expect is worked out by hand
in tests/reporting/test_kpis.py from the rows below.
"""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from contracts.tables import ATP_SCHEMA, STAGING_SCHEMAS, empty_frame
from optimizers.types import AllocationInputs, AllocationResult, SolveStats

ALLOCATION_SCHEMA = {
    "order_id": pl.String,
    "line_no": pl.Int64,
    "sku": pl.String,
    "node_id": pl.String,
    "quantity": pl.Int64,
    "fulfillment_method": pl.String,
    "parcel_id": pl.String,
    "service_level": pl.String,
    "destination_node_id": pl.String,
    "parcel_cost": pl.Float64,
    "handling_cost": pl.Float64,
    "expected_delivery_days": pl.Int64,
    "late_units": pl.Int64,
    "unit_price": pl.Float64,
    "unit_cost": pl.Float64,
    "channel": pl.String,
}
BACKORDER_SCHEMA = {
    "order_id": pl.String,
    "line_no": pl.Int64,
    "sku": pl.String,
    "quantity": pl.Int64,
    "reason": pl.String,
}
PARCEL_SCHEMA = {
    "parcel_id": pl.String,
    "order_id": pl.String,
    "node_id": pl.String,
    "service_level": pl.String,
    "destination": pl.String,
    "weight_kg": pl.Float64,
    "cost": pl.Float64,
    "delivery_days": pl.Int64,
}
EXPLANATION_SCHEMA = {
    "order_id": pl.String,
    "line_no": pl.Int64,
    "node_id": pl.String,
    "chosen_cost": pl.Float64,
    "alternative_node_id": pl.String,
    "alternative_cost": pl.Float64,
    "explanation": pl.String,
}


def frame(rows: list[tuple], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=schema, orient="row")


def nodes() -> pl.DataFrame:
    return frame(
        [
            ("DC1", "dc", "Central DC", 50.0, 8.0, 100, 10, True, False, 1.0, 0.5, 1),
            ("S1", "store", "Store One", 50.1, 8.1, 10, None, True, True, 0.5, 0.25, 1),
            ("S2", "store", "Store Two", 50.2, 8.2, 0, None, False, True, 0.5, 0.25, 0),
        ],
        STAGING_SCHEMAS["nodes"],
    )


def products() -> pl.DataFrame:
    return frame(
        [("A", "Widget", 4.0, 1.0), ("B", "Gadget", 10.0, 2.0)], STAGING_SCHEMAS["products"]
    )


def orders() -> pl.DataFrame:
    t = datetime(2025, 1, 6, 9, tzinfo=UTC)
    ship = ("standard", 50.5, 8.5, "10115", "DE", None)
    rows = [
        ("O1", 1, "web", t, "C1", None, "A", 2, 10.0, "ship", None, *ship, 3),
        ("O1", 2, "web", t, "C1", None, "B", 1, 30.0, "ship", None, *ship, 3),
        (
            "O2",
            1,
            "mobile",
            t,
            "C2",
            None,
            "A",
            3,
            10.0,
            "pickup",
            "S2",
            "standard",
            None,
            None,
            None,
            None,
            None,
            None,
        ),
        ("O3", 1, "web", t, "C3", None, "B", 4, 30.0, "ship", None, *ship, 2),
    ]
    return frame(rows, STAGING_SCHEMAS["orders"])


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


def result() -> AllocationResult:
    """The optimized plan: O1 split DC1+S1, O2 part pickup at S2 + ship-to-store, O3 short 1."""
    allocations = frame(
        [
            (
                "O1",
                1,
                "A",
                "DC1",
                2,
                "ship_from_dc",
                "P1",
                "standard",
                None,
                5.0,
                2.0,
                3,
                0,
                10.0,
                4.0,
                "web",
            ),
            (
                "O1",
                2,
                "B",
                "S1",
                1,
                "ship_from_store",
                "P2",
                "standard",
                None,
                4.0,
                0.75,
                2,
                0,
                30.0,
                10.0,
                "web",
            ),
            (
                "O2",
                1,
                "A",
                "S2",
                1,
                "pickup_in_store",
                None,
                "standard",
                None,
                0.0,
                0.75,
                0,
                0,
                10.0,
                4.0,
                "mobile",
            ),
            (
                "O2",
                1,
                "A",
                "DC1",
                2,
                "ship_to_store",
                "P3",
                "standard",
                "S2",
                3.0,
                2.0,
                4,
                0,
                10.0,
                4.0,
                "mobile",
            ),
            (
                "O3",
                1,
                "B",
                "DC1",
                3,
                "ship_from_dc",
                "P4",
                "standard",
                None,
                6.0,
                1.5,
                3,
                3,
                30.0,
                10.0,
                "web",
            ),
        ],
        ALLOCATION_SCHEMA,
    )
    parcels = frame(
        [
            ("P1", "O1", "DC1", "standard", "customer", 2.0, 5.0, 3),
            ("P2", "O1", "S1", "standard", "customer", 2.0, 4.0, 2),
            ("P3", "O2", "DC1", "standard", "S2", 2.0, 3.0, 4),
            ("P4", "O3", "DC1", "standard", "customer", 6.0, 6.0, 3),
        ],
        PARCEL_SCHEMA,
    )
    backorders = frame([("O3", 1, "B", 1, "no_stock")], BACKORDER_SCHEMA)
    terms = {
        "parcel_cost": 18.0,
        "handling_cost": 7.0,
        "days_cost": 2.5,
        "late_cost": 3.0,
        "backorder_cost": 9.5,
        "objective": 40.0,
    }
    return AllocationResult(
        allocations, backorders, parcels, frame([], EXPLANATION_SCHEMA), stats(), terms
    )


def baseline() -> AllocationResult:
    """Nearest-node plan: everything from DC1 (O1 in one parcel), O3 short 1."""
    allocations = frame(
        [
            (
                "O1",
                1,
                "A",
                "DC1",
                2,
                "ship_from_dc",
                "Q1",
                "standard",
                None,
                4.0,
                2.0,
                3,
                0,
                10.0,
                4.0,
                "web",
            ),
            (
                "O1",
                2,
                "B",
                "DC1",
                1,
                "ship_from_dc",
                "Q1",
                "standard",
                None,
                4.0,
                0.5,
                3,
                0,
                30.0,
                10.0,
                "web",
            ),
            (
                "O2",
                1,
                "A",
                "DC1",
                3,
                "ship_to_store",
                "Q2",
                "standard",
                "S2",
                5.0,
                2.5,
                4,
                0,
                10.0,
                4.0,
                "mobile",
            ),
            (
                "O3",
                1,
                "B",
                "DC1",
                3,
                "ship_from_dc",
                "Q3",
                "standard",
                None,
                7.0,
                5.0,
                3,
                3,
                30.0,
                10.0,
                "web",
            ),
        ],
        ALLOCATION_SCHEMA,
    )
    parcels = frame(
        [
            ("Q1", "O1", "DC1", "standard", "customer", 4.0, 8.0, 3),
            ("Q2", "O2", "DC1", "standard", "S2", 3.0, 5.0, 4),
            ("Q3", "O3", "DC1", "standard", "customer", 6.0, 7.0, 3),
        ],
        PARCEL_SCHEMA,
    )
    backorders = frame([("O3", 1, "B", 1, "no_stock")], BACKORDER_SCHEMA)
    terms = {
        "parcel_cost": 20.0,
        "handling_cost": 10.0,
        "days_cost": 3.0,
        "late_cost": 3.0,
        "backorder_cost": 14.0,
        "objective": 50.0,
    }
    return AllocationResult(
        allocations,
        backorders,
        parcels,
        frame([], EXPLANATION_SCHEMA),
        stats("baseline", 50.0),
        terms,
    )


def empty_result() -> AllocationResult:
    """A plan with nothing in it (no orders or nothing fillable)."""
    return AllocationResult(
        frame([], ALLOCATION_SCHEMA),
        frame([], BACKORDER_SCHEMA),
        frame([], PARCEL_SCHEMA),
        frame([], EXPLANATION_SCHEMA),
        SolveStats("optimizer", "highs", "empty", 0.0, None, None, 0.0),
        {},
    )


def inputs() -> AllocationInputs:
    """Inputs the real optimizer can solve: stock at all three nodes, one rate band."""
    atp = frame(
        [("DC1", "A", 10), ("DC1", "B", 3), ("S1", "B", 1), ("S2", "A", 1)],
        ATP_SCHEMA,
    )
    rates = frame(
        [("standard", 500.0, 4.0, 0.5, 2), ("express", 500.0, 9.0, 1.0, 1)],
        STAGING_SCHEMAS["rates"],
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
