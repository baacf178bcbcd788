"""Stage 1: the sparse (line, node, mode) candidates with their costs, and why a line has none.

"Prepare data first": every allowed pair is found with joins and vectorised arithmetic,
never a loop over lines. A candidate is a way to fill units of one line from one node:
``ship_from_dc`` / ``ship_from_store`` (ship lines), ``pickup_in_store`` (a pickup line from
its own store's stock) or ``ship_to_store`` (a pickup line from another node, by parcel).
Groups (parcels) and pairs (per-order handling) are assigned in ``groups``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from contracts.vocabulary import Mode
from optimizers.candidates.eligibility import flagged_pairs, no_candidate_reasons
from optimizers.candidates.groups import GROUP_COLUMNS, grouped, with_shares
from optimizers.candidates.pickup import capped_nodes, pickup_slots
from optimizers.candidates.prepare import NO_LIMIT, Prepared, prepare
from optimizers.model.objective import delivery_days, is_late, unit_cost
from optimizers.settings import AllocationSettings
from optimizers.types import AllocationInputs


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
    exclusions: the exclusions, normalised (the plan checker re-applies them).
    """

    lines: pl.DataFrame
    nodes: pl.DataFrame
    atp: pl.DataFrame
    candidates: pl.DataFrame
    groups: pl.DataFrame
    pairs: pl.DataFrame
    settings: AllocationSettings
    exclusions: pl.DataFrame = field(default_factory=pl.DataFrame)
    line_exclusions: pl.DataFrame = field(default_factory=pl.DataFrame)
    # line_idx, node_id, sku, expected_at, available_to_promise: supply due after the horizon
    # at a node that could fill the line (what an ``awaiting_supply`` backorder waits for)
    later_supply: pl.DataFrame = field(default_factory=pl.DataFrame)

    def parcel_limits(self) -> np.ndarray:
        """Per order_idx: the parcels this plan may still open, max_parcels_per_order less
        the parcels earlier waves sent for the order (a unit sourced later is a new parcel)."""
        order = self.lines["order_idx"].to_numpy()
        limit = np.zeros(int(order.max(initial=-1)) + 1, dtype=np.int64)
        sent = self.lines["parcels_sent"].to_numpy()
        limit[order] = np.maximum(self.settings.max_parcels_per_order - sent, 0)
        return limit

    def as_inputs(self) -> AllocationInputs:
        """The normalised inputs these candidates were built from, as the plan checker reads
        them (one row per line, node and stock key; supply sources as supply and their day's
        capacities; products, rates and lanes left out)."""
        empty = pl.DataFrame()
        on_hand = self.atp.filter(pl.col("available_at").is_null())
        supply = self.atp.filter(pl.col("available_at").is_not_null()).join(
            self.nodes.select("node_idx", "wait_days"), on="node_idx"
        )
        sources = self.nodes.filter(pl.col("wait_days") > 0)
        return AllocationInputs(
            orders=self.lines,
            available_to_promise=on_hand.select("node_id", "sku", "available_to_promise"),
            nodes=self.nodes.filter(pl.col("wait_days") == 0),
            products=empty,
            rates=empty,
            lanes=empty,
            exclusions=self.exclusions,
            line_exclusions=self.line_exclusions,
            parcels_sent=self.lines.select("order_id", parcels=pl.col("parcels_sent")).unique(
                "order_id"
            ),
            supply=supply.select(
                "node_id",
                "sku",
                "wait_days",
                expected_at="available_at",
                available_to_promise="available_to_promise",
            ),  # fmt: skip
            supply_capacity=sources.select(
                "node_id",
                "wait_days",
                "ship_capacity_units",
                "ship_capacity_orders",
                "pickup_capacity_orders",
            ),  # fmt: skip
        )


# Candidates are found per chunk of orders (groups and pairs never cross an order), so the
# (line, node) expansion never holds more than one chunk. Above GENERATION_PRUNE_LINES lines,
# each line keeps only its GENERATION_KEEP cheapest and GENERATION_KEEP nearest candidates; the
# cheapest price-free rate among the rest is kept as the line's ``pruned_floor`` so the
# Lagrangian bound still covers them.
CHUNK_LINES = 20_000
GENERATION_PRUNE_LINES = 50_000
GENERATION_KEEP = 8


def _eligible(
    chunk: pl.DataFrame, prep: Prepared, settings: AllocationSettings, slots: pl.DataFrame
) -> pl.DataFrame:
    """The chunk's eligible (line, node, mode) rows with ub and per-unit costs; own-store
    pickups at a node with a pickup limit only for the orders with a slot there."""
    pairs = flagged_pairs(chunk, prep, settings, atp=prep.atp)
    ship = pl.col("mode") != Mode.PICKUP_IN_STORE
    pairs = pairs.join(capped_nodes(prep.nodes), on="node_idx", how="left").join(
        slots, on=["order_idx", "node_idx"], how="left"
    )
    slot_ok = ship | pl.col("capped").is_null() | pl.col("slotted").fill_null(False)
    cands = pairs.filter(
        pl.col("mode_ok")
        & pl.col("reachable")
        & pl.col("allowed")
        & (~ship | (pl.col("cap_units") > 0))
        & slot_ok
    ).with_columns(
        ub=pl.min_horizontal(
            "quantity",
            "available_to_promise",
            pl.when(ship).then("cap_units").otherwise(pl.lit(NO_LIMIT, dtype=pl.Int64)),
        ).cast(pl.Int64)
    )
    costed = (
        cands.with_columns(days=delivery_days())
        .with_columns(late=is_late())
        .with_columns(unit_obj=unit_cost(settings))
    )
    return costed.select(
        "line_idx",
        "order_idx",
        "node_idx",
        "atp_idx",
        "mode",
        "service_level",
        "pickup_node_id",
        "ship_to_zone",
        "ship_to_latitude",
        "ship_to_longitude",
        "distance_km",
        "cost_per_package",
        "cost_per_kg",
        "days",
        "late",
        "weight_kg",
        "handling_cost_per_unit",
        "unit_obj",
        "ub",
        "quantity",
    )


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
    standalone = pl.col("cost_per_package").fill_null(0.0) + pl.col("quantity") * pl.col("unit_obj")
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


CANDIDATE_COLUMNS = (
    "cand_idx", "line_idx", "order_idx", "node_idx", "atp_idx", "group_idx", "pair_idx", "mode",
    "is_ship", "service_level", "destination", "distance_km", "cost_per_package", "cost_per_kg",
    "days", "late", "unit_weight_kg", "handling_cost_per_unit", "unit_obj", "ub", "rank",
    "share_fixed", "share_order_cap", "share_parcel",
)  # fmt: skip


def _generated(
    prep: Prepared, settings: AllocationSettings
) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """Eligible candidates chunk by chunk of whole orders (ranked, shares computed, pruned
    above GENERATION_PRUNE_LINES lines), and the per-line floors of the pruned ones."""
    known = prep.lines.filter(pl.col("known_sku"))
    slots = pickup_slots(known, prep.nodes, prep.atp)
    prune = known.height > GENERATION_PRUNE_LINES
    parts, floors = [], []
    orders = known["order_idx"].unique().sort()
    step = max(1, int(CHUNK_LINES * orders.len() / max(known.height, 1)))
    for start in range(0, max(orders.len(), 1), step):
        ids = orders.slice(start, step)
        chunk = known.filter(pl.col("order_idx").is_in(ids.implode()))
        cands = _eligible(chunk, prep, settings, slots)
        local, groups, pair_frame = grouped(cands, prep.nodes)
        cands = _ranked(with_shares(local, groups, pair_frame))
        if prune:
            cands, floor = _pruned(cands, GENERATION_KEEP)
            floors.append(floor)
        parts.append(cands.drop(*GROUP_COLUMNS))
    return pl.concat(parts), pl.concat(floors) if floors else None


def _counted(
    lines: pl.DataFrame, cands: pl.DataFrame, prep: Prepared, settings: AllocationSettings
) -> pl.DataFrame:
    """Lines with their number of candidates and, where they have none, the reason."""
    without = lines.join(cands.select("line_idx").unique(), on="line_idx", how="anti")
    reasons = no_candidate_reasons(without, prep, settings)
    counts = cands.group_by("line_idx").agg(n_candidates=pl.len())
    return (
        lines.join(counts, on="line_idx", how="left", maintain_order="left")
        .join(reasons, on="line_idx", how="left", maintain_order="left")
        .with_columns(pl.col("n_candidates").fill_null(0).cast(pl.Int64))
    )


LATER_SUPPLY_SCHEMA = pl.Schema(
    {
        "line_idx": pl.Int64(),
        "node_id": pl.String(),
        "sku": pl.String(),
        "expected_at": pl.Datetime("us", "UTC"),
        "available_to_promise": pl.Int64(),
    }
)


def _later_supply(prep: Prepared, settings: AllocationSettings) -> pl.DataFrame:
    """Per line, the supply past the horizon at nodes that could fill it."""
    later = prep.later_supply.join(
        prep.nodes.filter(pl.col("wait_days") == 0).select("node_id", "node_idx"), on="node_id"
    ).with_row_index("atp_idx")
    lines = prep.lines.filter(pl.col("known_sku") & pl.col("sku").is_in(later["sku"].implode()))
    if later.is_empty() or lines.is_empty():
        return pl.DataFrame(schema=LATER_SUPPLY_SCHEMA)
    later = later.with_columns(pl.col("atp_idx").cast(pl.Int64))
    pairs = flagged_pairs(lines, prep, settings, atp=later)
    usable = pairs.filter(pl.col("mode_ok") & pl.col("reachable") & pl.col("allowed"))
    return (
        usable.join(later.select("atp_idx", "expected_at"), on="atp_idx")
        .select(list(LATER_SUPPLY_SCHEMA))
        .cast(LATER_SUPPLY_SCHEMA)
    )


def build_candidates(inputs: AllocationInputs, settings: AllocationSettings) -> Candidates:
    """Every eligible (line, node, mode) with costs; lines without one get a reason."""
    prep = prepare(inputs, settings)
    generated, floors = _generated(prep, settings)
    cands, groups, pair_frame = grouped(generated, prep.nodes)
    cands = (
        cands.sort("line_idx", "node_idx", "mode")
        .with_row_index("cand_idx")
        .with_columns(pl.col("cand_idx").cast(pl.Int64), unit_weight_kg=pl.col("weight_kg"))
        .select(CANDIDATE_COLUMNS)
    )
    lines = prep.lines
    if floors is not None:
        lines = lines.join(floors, on="line_idx", how="left", maintain_order="left")
    return Candidates(
        lines=_counted(lines, cands, prep, settings),
        nodes=prep.nodes,
        atp=prep.atp,
        candidates=cands,
        groups=groups,
        pairs=pair_frame,
        settings=settings,
        exclusions=prep.exclusions,
        line_exclusions=prep.line_exclusions,
        later_supply=_later_supply(prep, settings),
    )
