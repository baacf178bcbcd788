"""Shapes of the plan's frames: what the optimizer returns and the warehouse, the outbox and
the reports read. Each is declared once, here; producers ``select``/``cast`` to it.
"""

from __future__ import annotations

import polars as pl

ALLOCATION_SCHEMA = pl.Schema(
    {
        "order_id": pl.String(),
        "line_no": pl.Int64(),
        "sku": pl.String(),
        "node_id": pl.String(),
        "quantity": pl.Int64(),
        "fulfillment_method": pl.String(),  # vocabulary.Mode
        "parcel_id": pl.String(),  # null for pickup_in_store
        "service_level": pl.String(),
        "destination_node_id": pl.String(),  # the pickup store of pickup and ship-to-store rows
        "parcel_cost": pl.Float64(),  # this row's weight share of its parcel's cost
        "handling_cost": pl.Float64(),
        "expected_delivery_days": pl.Int64(),
        "late_units": pl.Int64(),
        "unit_price": pl.Float64(),
        "unit_cost": pl.Float64(),
        "channel": pl.String(),
    }
)
BACKORDER_SCHEMA = pl.Schema(
    {
        "order_id": pl.String(),
        "line_no": pl.Int64(),
        "sku": pl.String(),
        "quantity": pl.Int64(),
        "reason": pl.String(),  # vocabulary.BackorderReason; a line may have a row per reason
    }
)
PARCEL_SCHEMA = pl.Schema(
    {
        "parcel_id": pl.String(),
        "order_id": pl.String(),
        "node_id": pl.String(),
        "service_level": pl.String(),
        "destination": pl.String(),  # "customer" or the pickup node id
        "weight_kg": pl.Float64(),
        "cost": pl.Float64(),
        "delivery_days": pl.Int64(),
        "units": pl.Int64(),
        "fulfillment_method": pl.String(),
    }
)
EXPLANATION_SCHEMA = pl.Schema(
    {
        "order_id": pl.String(),
        "line_no": pl.Int64(),
        "node_id": pl.String(),
        "chosen_cost": pl.Float64(),
        "alternative_node_id": pl.String(),
        "alternative_cost": pl.Float64(),
        "explanation": pl.String(),  # one sentence for planners
        "binding": pl.String(),  # vocabulary.Binding or a backorder reason
        "chosen_parcel_cost": pl.Float64(),
        "chosen_handling_cost": pl.Float64(),
        "chosen_days_cost": pl.Float64(),
        "chosen_late_cost": pl.Float64(),
        "backordered": pl.Int64(),
    }
)
# A node's instruction file (outbox/<run_id>/instructions/<node>.csv|.parquet).
INSTRUCTION_SCHEMA = pl.Schema(
    {
        "run_id": pl.String(),
        "order_id": pl.String(),
        "line_no": pl.Int64(),
        "sku": pl.String(),
        "quantity": pl.Int64(),
        "node_id": pl.String(),
        "fulfillment_method": pl.String(),  # a Mode or receive_for_pickup
        "parcel_id": pl.String(),
        "service_level": pl.String(),
        "parcel_cost": pl.Float64(),
        "expected_delivery_days": pl.Int64(),
    }
)
PLAN_FRAMES: dict[str, pl.Schema] = {
    "allocations": ALLOCATION_SCHEMA,
    "backorders": BACKORDER_SCHEMA,
    "parcels": PARCEL_SCHEMA,
    "explanations": EXPLANATION_SCHEMA,
}


def empty(schema: pl.Schema) -> pl.DataFrame:
    """An empty frame of one of these shapes."""
    return pl.DataFrame(schema=schema)
