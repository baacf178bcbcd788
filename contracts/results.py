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
        "available_at": pl.Datetime("us", "UTC"),  # ETA of the supply it is filled from
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
        "expected_at": pl.Datetime("us", "UTC"),  # awaiting_supply: when that supply is due
        # uneconomic: the cheapest node that could still fill these units, what filling them
        # there would cost (objective: money plus delivery-day weights) and their penalty
        "cheapest_node_id": pl.String(),
        "fill_cost": pl.Float64(),
        "penalty": pl.Float64(),
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
        "available_at": pl.Datetime("us", "UTC"),  # supply: not before its ETA; empty = on hand
        # the pickup store the units end at: ship_to_store (where the parcel goes),
        # pickup_in_store and receive_for_pickup (the store itself); null for home delivery
        "destination_node_id": pl.String(),
    }
)
PLAN_FRAMES: dict[str, pl.Schema] = {
    "allocations": ALLOCATION_SCHEMA,
    "backorders": BACKORDER_SCHEMA,
    "parcels": PARCEL_SCHEMA,
    "explanations": EXPLANATION_SCHEMA,
}


def with_available_at(rows: pl.DataFrame) -> pl.DataFrame:
    """Allocation rows with ``available_at``: as given, else null (a plan from stock on hand,
    such as hand-written rows)."""
    if "available_at" in rows.columns:
        return rows
    return rows.with_columns(available_at=pl.lit(None, ALLOCATION_SCHEMA["available_at"]))


def empty(schema: pl.Schema) -> pl.DataFrame:
    """An empty frame of one of these shapes."""
    return pl.DataFrame(schema=schema)


# ---- The order book: what every line's units are doing, across waves ----------------------

UTC_TS = pl.Datetime("us", "UTC")

# plan.line_status: one row per order line, ordered = cancelled + shipped + instructed_open + open.
LINE_STATUS_SCHEMA = pl.Schema(
    {
        "order_id": pl.String(),
        "line_no": pl.Int64(),
        "sku": pl.String(),
        "ordered": pl.Int64(),
        "cancelled": pl.Int64(),
        "shipped": pl.Int64(),
        "instructed_open": pl.Int64(),
        "open": pl.Int64(),
        "state": pl.String(),  # vocabulary.LineState
        "updated_at": UTC_TS,
        "order_version": pl.String(),  # source_file#row_number of the order line applied
        "content_key": pl.String(),  # digest of the line's content but its quantity
    }
)
# plan.commitments: one row per instruction a wave published (units a node was told to fill).
COMMITMENT_SCHEMA = pl.Schema(
    {
        "run_id": pl.String(),
        "order_id": pl.String(),
        "line_no": pl.Int64(),
        "sku": pl.String(),
        "node_id": pl.String(),
        "fulfillment_method": pl.String(),
        "parcel_id": pl.String(),
        "service_level": pl.String(),
        "destination_node_id": pl.String(),
        "quantity": pl.Int64(),  # instructed
        "shipped": pl.Int64(),
        "rejected": pl.Int64(),
        "cancelled": pl.Int64(),
        "open": pl.Int64(),  # quantity - shipped - rejected - cancelled
        "instructed_at": UTC_TS,
        "business_day": pl.Date(),  # the day it ships: the wave's, or the day supply arrives
        "available_at": UTC_TS,  # ETA of the supply it was promised from (null: on hand)
    }
)
# plan.line_events: the append-only history (sku added to the design's columns: every event
# says which stock it concerns, so commitments can be netted per node x sku as of a snapshot).
LINE_EVENT_SCHEMA = pl.Schema(
    {
        "at": UTC_TS,
        "run_id": pl.String(),
        "source_file": pl.String(),
        "order_id": pl.String(),
        "line_no": pl.Int64(),
        "sku": pl.String(),
        "node_id": pl.String(),
        "event": pl.String(),  # vocabulary.LineEvent
        "quantity": pl.Int64(),
    }
)
# plan.feedback: what became of every partner feedback row a wave took in.
FEEDBACK_SCHEMA = pl.Schema(
    {
        "kind": pl.String(),
        "source_file": pl.String(),
        "row_number": pl.Int64(),
        "feedback_key": pl.String(),  # the row's contract key, to refuse a re-applied key
        "status": pl.String(),  # applied | partly_applied | rejected
        "rule": pl.String(),  # vocabulary.FeedbackRule when not (wholly) applied
        "message": pl.String(),
        "quantity_applied": pl.Int64(),
    }
)
# outbox/<run_id>/intake/<file>.csv: one summary row per file, then one row per problem.
INTAKE_SCHEMA = pl.Schema(
    {
        "row_number": pl.Int64(),
        "status": pl.String(),  # vocabulary.IntakeStatus (or the file's ledger status)
        "rule": pl.String(),
        "column": pl.String(),
        "message": pl.String(),
    }
)
INTAKE_SUMMARY_SCHEMA = pl.Schema(
    {
        "file_name": pl.String(),
        "kind": pl.String(),
        "status": pl.String(),
        "rows_read": pl.Int64(),
        "rows_accepted": pl.Int64(),
        "rows_rejected": pl.Int64(),
        "rows_duplicate": pl.Int64(),
    }
)

# plan.inventory (per wave): a node x sku's newest snapshot, the commitments against it, ATP,
# and the supply on its way to it.
INVENTORY_SCHEMA = pl.Schema(
    {
        "node_id": pl.String(),
        "sku": pl.String(),
        "snapshot_at": pl.Datetime("us", "UTC"),
        "on_hand": pl.Int64(),
        "reserved": pl.Int64(),
        "safety_stock": pl.Int64(),
        "committed": pl.Int64(),
        "rejected_since": pl.Int64(),
        "available_to_promise": pl.Int64(),
        "in_transit": pl.Int64(),  # supply no snapshot covers yet, by kind
        "on_order": pl.Int64(),
        "supply_committed": pl.Int64(),  # promised from that supply (open or shipped)
        "supply_available": pl.Int64(),  # supply a wave may still promise (any horizon)
    }
)
