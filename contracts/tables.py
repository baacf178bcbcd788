"""Typed shapes of the validated (staging) tables: the one interface from ingestion to allocation.

Ingestion writes exactly these columns (in this order) to ``staging.<kind>``; the optimizer
reads frames of these shapes. Enums are stored lower-case; timestamps are UTC.
"""

from __future__ import annotations

import polars as pl

UTC_TS = pl.Datetime("us", "UTC")

_STAGING: dict[str, dict[str, pl.DataType]] = {
    "nodes": {
        "node_id": pl.String(),
        "node_type": pl.String(),  # dc | store
        "name": pl.String(),
        "latitude": pl.Float64(),
        "longitude": pl.Float64(),
        "ship_capacity_units": pl.Int64(),
        "ship_capacity_orders": pl.Int64(),  # null = no limit
        "supports_ship": pl.Boolean(),
        "supports_pickup": pl.Boolean(),
        "handling_cost_per_order": pl.Float64(),
        "handling_cost_per_unit": pl.Float64(),
        "processing_days": pl.Int64(),
        "pickup_capacity_orders": pl.Int64(),  # BOPIS orders prepared per day; null = no limit
    },
    "products": {
        "sku": pl.String(),
        "name": pl.String(),
        "unit_cost": pl.Float64(),
        "weight_kg": pl.Float64(),
    },
    "stock": {
        "node_id": pl.String(),
        "sku": pl.String(),
        "on_hand": pl.Int64(),
        "reserved": pl.Int64(),
        "safety_stock": pl.Int64(),  # empty/absent = 0
        "snapshot_at": UTC_TS,
    },
    "supply": {
        "supply_id": pl.String(),
        "node_id": pl.String(),
        "sku": pl.String(),
        "quantity": pl.Int64(),  # 0 withdraws the supply
        "expected_at": UTC_TS,
        "kind": pl.String(),  # in_transit | purchase_order
    },
    "rates": {
        "service_level": pl.String(),  # standard | express
        "max_distance_km": pl.Float64(),
        "cost_per_package": pl.Float64(),
        "cost_per_kg": pl.Float64(),
        "transit_days": pl.Int64(),
    },
    "lanes": {
        "node_id": pl.String(),
        "ship_to_zone": pl.String(),
        "service_level": pl.String(),
        "cost_per_package": pl.Float64(),
        "cost_per_kg": pl.Float64(),
        "transit_days": pl.Int64(),
    },
    "exclusions": {
        "node_id": pl.String(),
        "sku": pl.String(),  # null = any
        "customer_id": pl.String(),  # null = any
        "channel": pl.String(),  # null = any
        "reason": pl.String(),
    },
    "orders": {
        "order_id": pl.String(),
        "line_no": pl.Int64(),
        "channel": pl.String(),  # web | mobile | call_center | store | marketplace
        "ordered_at": UTC_TS,
        "customer_id": pl.String(),
        "customer_email": pl.String(),
        "sku": pl.String(),
        "quantity": pl.Int64(),
        "unit_price": pl.Float64(),
        "fulfillment_method": pl.String(),  # ship | pickup
        "pickup_node_id": pl.String(),  # pickup only
        # service_level defaults to standard (pickup lines too: it prices the ship-to-store leg)
        "service_level": pl.String(),
        "ship_to_latitude": pl.Float64(),
        "ship_to_longitude": pl.Float64(),
        "ship_to_postal_code": pl.String(),
        "ship_to_country": pl.String(),
        "ship_to_zone": pl.String(),
        "promised_days": pl.Int64(),  # null = no promise
    },
    "shipments": {
        "shipment_id": pl.String(),
        "order_id": pl.String(),
        "line_no": pl.Int64(),
        "node_id": pl.String(),
        "quantity": pl.Int64(),
        "shipped_at": UTC_TS,
        "tracking_id": pl.String(),
        "carrier": pl.String(),
    },
    "rejections": {
        "order_id": pl.String(),
        "line_no": pl.Int64(),
        "node_id": pl.String(),
        "quantity": pl.Int64(),
        "rejected_at": UTC_TS,
        "reason": pl.String(),
    },
    "cancellations": {
        "order_id": pl.String(),
        "line_no": pl.Int64(),  # null = every line of the order
        "quantity": pl.Int64(),  # null = all that can still be cancelled
        "cancelled_at": UTC_TS,
        "reason": pl.String(),
    },
    "returns": {
        "return_id": pl.String(),
        "order_id": pl.String(),
        "line_no": pl.Int64(),
        "quantity": pl.Int64(),
        "returned_at": UTC_TS,
        "return_channel": pl.String(),  # in_store | mail
        "node_id": pl.String(),  # where it was received
        "resellable": pl.Boolean(),
    },
}

STAGING_SCHEMAS: dict[str, pl.Schema] = {kind: pl.Schema(c) for kind, c in _STAGING.items()}

# Primary keys per kind: a row's identity for duplicates and amendments.
KEYS: dict[str, tuple[str, ...]] = {
    "nodes": ("node_id",),
    "products": ("sku",),
    "stock": ("node_id", "sku", "snapshot_at"),
    "supply": ("supply_id", "node_id", "sku"),
    "rates": ("service_level", "max_distance_km"),
    "lanes": ("node_id", "ship_to_zone", "service_level"),
    "exclusions": ("node_id", "sku", "customer_id", "channel"),
    "orders": ("order_id", "line_no"),
    "shipments": ("shipment_id", "order_id", "line_no"),
    "rejections": ("order_id", "line_no", "node_id", "rejected_at"),
    "cancellations": ("order_id", "line_no", "cancelled_at"),
    "returns": ("return_id",),
}

# Available to promise per node x sku, derived from the newest stock snapshot.
ATP_SCHEMA = pl.Schema(
    {
        "node_id": pl.String(),
        "sku": pl.String(),
        "available_to_promise": pl.Int64(),
    }
)


def empty_frame(kind: str) -> pl.DataFrame:
    """An empty frame of a staging table's shape (for absent optional kinds)."""
    return pl.DataFrame(schema=STAGING_SCHEMAS[kind])
