"""Stage 1: the sparse (line, node, mode) candidates with their costs, and why a line has none.

"Prepare data first": every allowed pair is found with joins and vectorised arithmetic,
never a loop over lines. A candidate is a way to fill units of one line from one node:
``ship_from_dc`` / ``ship_from_store`` (ship lines), ``pickup_in_store`` (a pickup line from
its own store's stock) or ``ship_to_store`` (a pickup line from another node, by parcel).

Each candidate belongs to a *group* (order, node, service level, destination): for shipping
modes a group is one parcel; an own-store pickup is a group without a parcel. Each group
belongs to an (order, node) *pair*, which pays the node's handling cost per order once.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from optimizers.eligibility import (
    PICKUP,
    SHIP_TO_STORE,
    flagged_pairs,
    no_candidate_reasons,
)
from optimizers.prepare import NO_LIMIT, prepare
from optimizers.types import AllocationInputs, AllocationSettings


@dataclass(frozen=True)
class Candidates:
    """Everything the model, the baseline and the extraction need, as frames.

    candidates: cand_idx, line_idx, order_idx, node_idx, atp_idx, group_idx, pair_idx, mode,
        is_ship, service_level, destination, distance_km, cost_per_package, cost_per_kg,
        days, late, unit_weight_kg, unit_obj (objective per unit excluding parcel and
        per-order handling), ub (most units this candidate can take alone), rank (baseline
        order within the line: nearest first).
    groups: group_idx, order_idx, node_idx, pair_idx, is_ship, service_level, destination,
        dest_key, cost_per_package.
    pairs: pair_idx, order_idx, node_idx, handling_cost_per_order.
    lines: prepared lines plus n_candidates and no_candidate_reason.
    """

    lines: pl.DataFrame
    nodes: pl.DataFrame
    atp: pl.DataFrame
    candidates: pl.DataFrame
    groups: pl.DataFrame
    pairs: pl.DataFrame
    settings: AllocationSettings


def _costed(cands: pl.DataFrame, settings: AllocationSettings) -> pl.DataFrame:
    """Days, lateness and the per-unit objective of each candidate."""
    days = pl.col("processing_days") + pl.col("transit_days")
    late = pl.col("promised_days").is_not_null() & (pl.col("days") > pl.col("promised_days"))
    return (
        cands.with_columns(days=days.cast(pl.Int64))
        .with_columns(late=late)
        .with_columns(
            unit_obj=pl.col("cost_per_kg") * pl.col("weight_kg")
            + pl.col("handling_cost_per_unit")
            + settings.days_weight * pl.col("days")
            + settings.late_penalty * pl.col("late").cast(pl.Float64)
        )
    )


def _dest_key() -> pl.Expr:
    """What makes two shipping lines of an order share a parcel besides node and service."""
    coords = pl.concat_str(
        [
            pl.col(c).cast(pl.String).fill_null("")
            for c in ("ship_to_zone", "ship_to_latitude", "ship_to_longitude")
        ],
        separator="|",
    )
    return (
        pl.when(pl.col("mode") == PICKUP)
        .then(pl.lit("pickup"))
        .when(pl.col("mode") == SHIP_TO_STORE)
        .then(pl.lit("store|") + pl.col("pickup_node_id"))
        .otherwise(pl.lit("customer|") + coords)
    )


def _grouped(cands: pl.DataFrame, nodes: pl.DataFrame) -> tuple[pl.DataFrame, ...]:
    """Assign group (parcel or own-store pickup) and (order, node) pair indices."""
    cands = cands.with_columns(
        is_ship=pl.col("mode") != PICKUP,
        group_service=pl.when(pl.col("mode") == PICKUP).then(pl.lit("")).otherwise("service_level"),
        dest_key=_dest_key(),
        destination=pl.when(pl.col("mode") == PICKUP)
        .then("pickup_node_id")
        .when(pl.col("mode") == SHIP_TO_STORE)
        .then("pickup_node_id")
        .otherwise(pl.lit("customer")),
    )
    gkeys = ["order_idx", "node_idx", "group_service", "dest_key"]
    groups = (
        cands.group_by(gkeys)
        .agg(
            pl.col("is_ship").first(),
            pl.col("destination").first(),
            pl.col("cost_per_package").max(),
        )
        .sort(gkeys)
        .with_row_index("group_idx")
        .with_columns(pl.col("group_idx").cast(pl.Int64))
    )
    pairs = (
        groups.select("order_idx", "node_idx")
        .unique(maintain_order=True)
        .join(nodes.select("node_idx", "handling_cost_per_order"), on="node_idx")
        .sort("order_idx", "node_idx")
        .with_row_index("pair_idx")
        .with_columns(pl.col("pair_idx").cast(pl.Int64))
    )
    groups = groups.join(
        pairs.select("order_idx", "node_idx", "pair_idx"), on=["order_idx", "node_idx"]
    ).sort("group_idx")
    cands = cands.join(groups.select(*gkeys, "group_idx", "pair_idx"), on=gkeys)
    groups = groups.rename({"group_service": "service_level"})
    return cands, groups, pairs


def _with_shares(
    cands: pl.DataFrame, groups: pl.DataFrame, pairs: pl.DataFrame
) -> pl.DataFrame:
    """Per-unit shares of the fixed costs and counted rows a candidate can trigger.

    A group's package and its pair's handling are spread over the lines that can use the group
    (and the handling over the pair's groups); these are the rates of the Lagrangian bound
    (``optimizers.lagrange``), computed over every eligible candidate so they stay valid when
    candidates are pruned later."""
    per_group = cands.group_by("group_idx").agg(_n_lines=pl.len())
    per_pair = groups.group_by("pair_idx").agg(
        _n_groups=pl.len(), _n_ship=pl.col("is_ship").sum()
    )
    spread = pl.col("_n_lines") * pl.col("ub").cast(pl.Float64)
    return (
        cands.join(per_group, on="group_idx")
        .join(groups.select("group_idx", pl.col("cost_per_package").alias("_pkg")), on="group_idx")
        .join(per_pair, on="pair_idx")
        .join(pairs.select("pair_idx", "handling_cost_per_order"), on="pair_idx")
        .with_columns(
            share_fixed=(
                pl.col("_pkg").fill_null(0.0).fill_nan(0.0)
                + pl.col("handling_cost_per_order") / pl.col("_n_groups")
            )
            / spread,
            share_order_cap=pl.when("is_ship")
            .then(1.0 / (pl.col("_n_ship").cast(pl.Float64) * spread))
            .otherwise(0.0),
            share_parcel=pl.when("is_ship").then(1.0 / spread).otherwise(0.0),
        )
        .drop("_n_lines", "_pkg", "_n_groups", "_n_ship", "handling_cost_per_order")
    )


# Candidates are found per chunk of orders (groups and pairs never cross an order), so the
# (line, node) expansion never holds more than one chunk. Above GENERATION_PRUNE_LINES lines,
# each line keeps only its GENERATION_KEEP cheapest and GENERATION_KEEP nearest candidates; the
# cheapest price-free rate among the rest is kept as the line's ``pruned_floor`` so the
# Lagrangian bound still covers them.
CHUNK_LINES = 20_000
GENERATION_PRUNE_LINES = 50_000
GENERATION_KEEP = 8
_GROUP_COLS = ("is_ship", "group_service", "dest_key", "destination", "group_idx", "pair_idx")


def _eligible(chunk: pl.DataFrame, prep, settings: AllocationSettings) -> pl.DataFrame:
    """The chunk's eligible (line, node, mode) rows with ub and per-unit costs."""
    pairs = flagged_pairs(chunk, prep, settings, atp=prep.atp)
    ship = pl.col("mode") != PICKUP
    cands = pairs.filter(
        pl.col("mode_ok")
        & pl.col("reachable")
        & pl.col("allowed")
        & (~ship | (pl.col("cap_units") > 0))
    ).with_columns(
        ub=pl.min_horizontal(
            "quantity",
            "available_to_promise",
            pl.when(ship).then("cap_units").otherwise(pl.lit(NO_LIMIT, dtype=pl.Int64)),
        ).cast(pl.Int64)
    )
    return _costed(cands, settings).select(
        "line_idx", "order_idx", "node_idx", "atp_idx", "mode", "service_level",
        "pickup_node_id", "ship_to_zone", "ship_to_latitude", "ship_to_longitude",
        "distance_km", "cost_per_package", "cost_per_kg", "days", "late", "weight_kg",
        "handling_cost_per_unit", "unit_obj", "ub", "quantity",
    )  # fmt: skip


def _ranked(cands: pl.DataFrame) -> pl.DataFrame:
    """The baseline's order within each line: nearest first."""
    return cands.with_columns(
        rank=pl.struct(
            pl.col("distance_km").fill_null(float("inf")), "days", "unit_obj", "node_idx"
        )
        .rank("ordinal")
        .over("line_idx")
        .cast(pl.Int64)
    )


def _pruned(cands: pl.DataFrame, keep: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(kept candidates, per-line floor of the dropped ones' price-free rate)."""
    standalone = (
        pl.col("cost_per_package").fill_null(0.0) + pl.col("quantity") * pl.col("unit_obj")
    )
    cands = cands.with_columns(
        _cheap=pl.struct(standalone, "node_idx", "mode").rank("ordinal").over("line_idx")
    )
    kept_mask = (pl.col("_cheap") <= keep) | (pl.col("rank") <= keep)
    floor = (
        cands.filter(~kept_mask)
        .group_by("line_idx")
        .agg(pruned_floor=(pl.col("unit_obj") + pl.col("share_fixed")).min())
    )
    return cands.filter(kept_mask).drop("_cheap"), floor


def build_candidates(inputs: AllocationInputs, settings: AllocationSettings) -> Candidates:
    """Every eligible (line, node, mode) with costs; lines without one get a reason."""
    prep = prepare(inputs)
    lines = prep.lines
    known = lines.filter(pl.col("known_sku"))
    prune = known.height > GENERATION_PRUNE_LINES
    parts, floors = [], []
    orders = known["order_idx"].unique().sort()
    step = max(1, int(CHUNK_LINES * orders.len() / max(known.height, 1)))
    for start in range(0, max(orders.len(), 1), step):
        ids = orders.slice(start, step)
        chunk = known.filter(pl.col("order_idx").is_in(ids.implode()))
        cands = _eligible(chunk, prep, settings)
        local, groups, pair_frame = _grouped(cands, prep.nodes)
        cands = _ranked(_with_shares(local, groups, pair_frame))
        if prune:
            cands, floor = _pruned(cands, GENERATION_KEEP)
            floors.append(floor)
        parts.append(cands.drop(*_GROUP_COLS))
    cands, groups, pair_frame = _grouped(pl.concat(parts), prep.nodes)
    cands = (
        cands.sort("line_idx", "node_idx", "mode")
        .with_row_index("cand_idx")
        .select(
            pl.col("cand_idx").cast(pl.Int64),
            "line_idx",
            "order_idx",
            "node_idx",
            "atp_idx",
            "group_idx",
            "pair_idx",
            "mode",
            "is_ship",
            "service_level",
            "destination",
            "distance_km",
            "cost_per_package",
            "cost_per_kg",
            "days",
            "late",
            pl.col("weight_kg").alias("unit_weight_kg"),
            "handling_cost_per_unit",
            "unit_obj",
            "ub",
            "rank",
            "share_fixed",
            "share_order_cap",
            "share_parcel",
        )
    )
    if floors:
        lines = lines.join(pl.concat(floors), on="line_idx", how="left", maintain_order="left")
    without = lines.join(cands.select("line_idx").unique(), on="line_idx", how="anti")
    reasons = no_candidate_reasons(without, prep, settings)
    counts = cands.group_by("line_idx").agg(n_candidates=pl.len())
    lines = (
        lines.join(counts, on="line_idx", how="left", maintain_order="left")
        .join(reasons, on="line_idx", how="left", maintain_order="left")
        .with_columns(pl.col("n_candidates").fill_null(0).cast(pl.Int64))
    )
    return Candidates(
        lines=lines,
        nodes=prep.nodes,
        atp=prep.atp,
        candidates=cands,
        groups=groups,
        pairs=pair_frame,
        settings=settings,
    )
