"""Stage 4: a plan (fills) to the result frames planners, partners and reports read.

Parcel ids are deterministic (``{order_id}-{node_id}-{service}-{n}``, n counting the
destinations of that order, node and service), each allocation row carries its weight share
of its parcel's cost (shares add up to the parcel cost) and its share of handling, and the
objective terms come from ``objective.objective_terms`` (the one definition).
"""

from __future__ import annotations

import time
from dataclasses import replace

import polars as pl

from contracts.results import ALLOCATION_SCHEMA, PARCEL_SCHEMA
from contracts.vocabulary import PICKUP_MODES
from optimizers.candidates import Candidates
from optimizers.model.objective import filled_rows, objective_terms
from optimizers.plan.backorders import backorders_frame, plan_state
from optimizers.plan.why import explanations_frame
from optimizers.types import AllocationResult, SolveStats


def plan_rows(c: Candidates, fills: pl.DataFrame) -> pl.DataFrame:
    """Filled rows with parcel ids, cost shares and the line/node fields of the outbox."""
    rows = filled_rows(c, fills).join(
        c.lines.select(
            "line_idx",
            "order_id",
            "line_no",
            "sku",
            "channel",
            "unit_price",
            "unit_cost",
            pl.col("service_level").alias("line_service_level"),
            "pickup_node_id",
        ),
        on="line_idx",
    )
    rows = rows.join(
        c.nodes.select("node_idx", "node_id", "handling_cost_per_order"), on="node_idx"
    ).join(c.atp.select("atp_idx", "available_at"), on="atp_idx", how="left")
    q = pl.col("quantity")
    rows = rows.with_columns(row_kg=q * pl.col("unit_weight_kg"))
    parcel_no = (
        rows.filter(pl.col("is_ship"))
        .select("group_idx", "order_idx", "node_id", "service_level")
        .unique()
        .with_columns(
            parcel_no=pl.col("group_idx")
            .rank("dense")
            .over("order_idx", "node_id", "service_level")
        )
        .select("group_idx", "parcel_no")
    )
    rows = (
        rows.join(parcel_no, on="group_idx", how="left")
        .with_columns(
            parcel_id=pl.when(pl.col("is_ship")).then(
                pl.format("{}-{}-{}-{}", "order_id", "node_id", "service_level", "parcel_no")
            ),
            group_kg=pl.col("row_kg").sum().over("group_idx"),
            group_units=q.sum().over("group_idx"),
            pair_units=q.sum().over("pair_idx"),
        )
        .with_columns(
            share=pl.when(pl.col("group_kg") > 0)
            .then(pl.col("row_kg") / pl.col("group_kg"))
            .otherwise(q / pl.col("group_units")),
        )
        .with_columns(
            parcel_cost=pl.when(pl.col("is_ship"))
            .then(
                pl.col("cost_per_package") * pl.col("share")
                + pl.col("cost_per_kg") * pl.col("row_kg")
            )
            .otherwise(0.0),
            handling_cost=pl.col("handling_cost_per_unit") * q
            + pl.col("handling_cost_per_order") * q / pl.col("pair_units"),
        )
    )
    return rows


def allocations_frame(rows: pl.DataFrame) -> pl.DataFrame:
    """The documented allocations shape, one row per (line, node, mode)."""
    return (
        rows.select(
            "order_id",
            "line_no",
            "sku",
            "node_id",
            "quantity",
            pl.col("mode").alias("fulfillment_method"),
            "parcel_id",
            pl.col("line_service_level").alias("service_level"),
            destination_node_id=pl.when(pl.col("mode").is_in(PICKUP_MODES)).then("pickup_node_id"),
            parcel_cost="parcel_cost",
            handling_cost="handling_cost",
            expected_delivery_days="days",
            available_at="available_at",
            late_units=pl.when(pl.col("late")).then(pl.col("quantity")).otherwise(0),
            unit_price="unit_price",
            unit_cost="unit_cost",
            channel="channel",
        )
        .cast(ALLOCATION_SCHEMA)
        .sort("order_id", "line_no", "node_id", "fulfillment_method", "available_at")
    )


def parcels_frame(rows: pl.DataFrame) -> pl.DataFrame:
    """One row per parcel: its weight, cost (sum of the rows' shares) and days."""
    return (
        rows.filter(pl.col("is_ship"))
        .group_by("parcel_id")
        .agg(
            pl.col("order_id").first(),
            pl.col("node_id").first(),
            pl.col("service_level").first(),
            pl.col("destination").first(),
            weight_kg=pl.col("row_kg").sum(),
            cost=pl.col("parcel_cost").sum(),
            delivery_days=pl.col("days").max(),
            units=pl.col("quantity").sum(),
            fulfillment_method=pl.col("mode").first(),
        )
        .select(list(PARCEL_SCHEMA))
        .cast(PARCEL_SCHEMA)
        .sort("parcel_id")
    )


def assemble_result(
    c: Candidates,
    fills: pl.DataFrame,
    stats: SolveStats,
    started: float,
    baseline: AllocationResult | None = None,
) -> AllocationResult:
    """Frames, objective terms and final stats for a plan; ``started`` is the run's start."""
    t0 = time.perf_counter()
    rows = plan_rows(c, fills)
    terms = objective_terms(c, fills)
    state = plan_state(c, rows)
    backorders = backorders_frame(c, rows, state)
    explanations = explanations_frame(c, rows, state, backorders, stats.method)
    t1 = time.perf_counter()
    stats = replace(
        stats,
        objective=terms["objective"],
        extract_seconds=stats.extract_seconds + t1 - t0,
        seconds=t1 - started,
    )
    return AllocationResult(
        allocations=allocations_frame(rows),
        backorders=backorders,
        parcels=parcels_frame(rows),
        explanations=explanations,
        stats=stats,
        objective_terms=terms,
        baseline=baseline,
    )
