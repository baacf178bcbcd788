"""Tiny hand-built instances: nodes on the equator, so distance = 111.19 km per degree."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import polars as pl

from contracts.tables import ATP_SCHEMA, STAGING_SCHEMAS
from optimizers.settings import AllocationSettings
from optimizers.types import AllocationInputs

KM_PER_DEGREE = 6371.0 * math.pi / 180.0
T0 = datetime(2025, 3, 1, tzinfo=UTC)
EXACT = AllocationSettings(days_weight=0.0, late_penalty=0.0, mip_gap=0.0, time_limit_s=20.0)

# standard: <=200 km 5.0, <=1000 km 8.0, <=3000 km 12.0 (no per-kg, transit 1/2/3 days)
BANDS = [
    ("standard", 200.0, 5.0, 0.0, 1),
    ("standard", 1000.0, 8.0, 0.0, 2),
    ("standard", 3000.0, 12.0, 0.0, 3),
    ("express", 200.0, 9.0, 0.0, 1),
    ("express", 3000.0, 20.0, 0.0, 1),
]


def frame(kind: str, rows: list[dict]) -> pl.DataFrame:
    schema = STAGING_SCHEMAS.get(kind, ATP_SCHEMA)
    return pl.DataFrame([{k: r.get(k) for k in schema} for r in rows], schema=schema)


def node(
    node_id: str,
    lon: float,
    *,
    type: str = "dc",
    cap: int | None = 100,
    cap_orders: int | None = None,
    ship: bool = True,
    pickup: bool = False,
    h_order: float = 0.0,
    h_unit: float = 0.0,
    proc: int = 0,
    lat: float = 0.0,
    pickup_capacity_orders: int | None = None,
) -> dict:
    return {
        "node_id": node_id,
        "node_type": type,
        "name": node_id,
        "latitude": lat,
        "longitude": lon,
        "ship_capacity_units": cap,
        "ship_capacity_orders": cap_orders,
        "supports_ship": ship,
        "supports_pickup": pickup,
        "handling_cost_per_order": h_order,
        "handling_cost_per_unit": h_unit,
        "processing_days": proc,
        "pickup_capacity_orders": pickup_capacity_orders,
    }


def store(node_id: str, lon: float, **kw) -> dict:
    kw.setdefault("pickup", True)
    return node(node_id, lon, type="store", **kw)


def line(
    order_id: str,
    line_no: int,
    sku: str,
    qty: int = 1,
    *,
    price: float = 100.0,
    method: str = "ship",
    lon: float | None = 0.0,
    lat: float | None = 0.0,
    pickup: str | None = None,
    service: str = "standard",
    zone: str | None = None,
    promised: int | None = None,
    channel: str = "web",
    customer: str = "C1",
    minute: int = 0,
) -> dict:
    if method == "pickup":
        lon = lat = None
    return {
        "order_id": order_id,
        "line_no": line_no,
        "channel": channel,
        "ordered_at": T0 + timedelta(minutes=minute),
        "customer_id": customer,
        "sku": sku,
        "quantity": qty,
        "unit_price": price,
        "fulfillment_method": method,
        "pickup_node_id": pickup,
        "service_level": service,
        "ship_to_latitude": lat,
        "ship_to_longitude": lon,
        "ship_to_zone": zone,
        "promised_days": promised,
    }


def make_inputs(
    nodes: list[dict],
    lines: list[dict],
    atp: dict[tuple[str, str], int],
    *,
    weights: dict[str, float] | None = None,
    rates: list[tuple] | None = None,
    lanes: list[dict] | None = None,
    exclusions: list[dict] | None = None,
) -> AllocationInputs:
    skus = sorted({r["sku"] for r in lines} | {s for _, s in atp})
    weights = weights or {}
    rate_rows = [
        dict(
            zip(
                (
                    "service_level",
                    "max_distance_km",
                    "cost_per_package",
                    "cost_per_kg",
                    "transit_days",
                ),
                r,
                strict=True,
            )
        )
        for r in (BANDS if rates is None else rates)
    ]
    return AllocationInputs(
        orders=frame("orders", lines),
        available_to_promise=frame(
            "atp",
            [{"node_id": n, "sku": s, "available_to_promise": q} for (n, s), q in atp.items()],
        ),
        nodes=frame("nodes", nodes),
        products=frame(
            "products",
            [
                {"sku": s, "name": s, "unit_cost": 1.0, "weight_kg": weights.get(s, 1.0)}
                for s in skus
            ],
        ),
        rates=frame("rates", rate_rows),
        lanes=frame("lanes", lanes or []),
        exclusions=frame("exclusions", exclusions or []),
    )


def placed(result) -> dict[tuple[str, int], dict[str, int]]:
    """{(order_id, line_no): {node_id: quantity}} of a result's allocations."""
    out: dict[tuple[str, int], dict[str, int]] = {}
    for r in result.allocations.iter_rows(named=True):
        out.setdefault((r["order_id"], r["line_no"]), {})[r["node_id"]] = r["quantity"]
    return out


def reasons(result) -> dict[tuple[str, int], dict[str, int]]:
    out: dict[tuple[str, int], dict[str, int]] = {}
    for r in result.backorders.iter_rows(named=True):
        out.setdefault((r["order_id"], r["line_no"]), {})[r["reason"]] = r["quantity"]
    return out
