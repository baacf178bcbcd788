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

from dataclasses import dataclass, replace

import numpy as np
import polars as pl

from optimizers.geo import band_index, haversine_km
from optimizers.prepare import NO_LIMIT, Prepared, prepare
from optimizers.types import AllocationInputs, AllocationSettings

SHIP_DC, SHIP_STORE, PICKUP, SHIP_TO_STORE = (
    "ship_from_dc",
    "ship_from_store",
    "pickup_in_store",
    "ship_to_store",
)
EXCLUSION_KEYS = ("node_id", "sku", "customer_id", "channel")


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


def _expand(lines: pl.DataFrame, nodes: pl.DataFrame, atp: pl.DataFrame | None) -> pl.DataFrame:
    """(line, node) pairs: with ATP > 0 of the line's sku (atp given) or every node (atp None)."""
    node_cols = nodes.select(
        "node_idx",
        "node_id",
        "node_type",
        pl.col("latitude").alias("node_lat"),
        pl.col("longitude").alias("node_lon"),
        "cap_units",
        "supports_ship",
        "supports_pickup",
        "handling_cost_per_unit",
        "processing_days",
    )
    if atp is not None:
        pairs = lines.join(
            atp.select("sku", "node_idx", "atp_idx", "available_to_promise"), on="sku"
        ).join(node_cols, on="node_idx")
    else:
        pairs = lines.join(node_cols, how="cross").with_columns(
            atp_idx=pl.lit(None, dtype=pl.Int64), available_to_promise=pl.lit(0, dtype=pl.Int64)
        )
    store = nodes.select(
        pl.col("node_id").alias("pickup_node_id"),
        pl.col("latitude").alias("pickup_lat"),
        pl.col("longitude").alias("pickup_lon"),
        pl.col("supports_pickup").alias("pickup_ok"),
    )
    pairs = pairs.join(store, on="pickup_node_id", how="left").with_columns(
        pl.col("pickup_ok").fill_null(False)
    )
    return pairs.with_columns(
        mode=pl.when(pl.col("method") == "ship")
        .then(
            pl.when(pl.col("node_type") == "store")
            .then(pl.lit(SHIP_STORE))
            .otherwise(pl.lit(SHIP_DC))
        )
        .when(pl.col("node_id") == pl.col("pickup_node_id"))
        .then(pl.lit(PICKUP))
        .otherwise(pl.lit(SHIP_TO_STORE))
    )


def _mode_ok(settings: AllocationSettings) -> pl.Expr:
    """Node capabilities and run switches that allow a mode at all."""
    can_ship = pl.col("supports_ship") & (
        (pl.col("node_type") != "store") | pl.lit(settings.ship_from_store)
    )
    return (
        pl.when(pl.col("mode") == PICKUP)
        .then(pl.lit(settings.pickup_in_store) & pl.col("supports_pickup"))
        .when(pl.col("mode") == SHIP_TO_STORE)
        .then(pl.lit(settings.ship_to_store) & pl.col("pickup_ok") & can_ship)
        .otherwise(can_ship)
    )


def _with_rates(pairs: pl.DataFrame, prep: Prepared) -> pl.DataFrame:
    """Distance, then the lane (ship lines with a zone) or else the distance band, per pair."""
    is_sts = pl.col("mode") == SHIP_TO_STORE
    pairs = pairs.with_columns(
        dest_lat=pl.when(is_sts).then("pickup_lat").otherwise("ship_to_latitude"),
        dest_lon=pl.when(is_sts).then("pickup_lon").otherwise("ship_to_longitude"),
    )
    arr = {
        c: pairs[c].cast(pl.Float64).fill_null(np.nan).to_numpy()
        for c in ("node_lat", "node_lon", "dest_lat", "dest_lon")
    }
    dist = haversine_km(arr["node_lat"], arr["node_lon"], arr["dest_lat"], arr["dest_lon"])
    is_pickup = (pairs["mode"] == PICKUP).to_numpy()
    dist = np.where(is_pickup, 0.0, dist)

    lanes = prep.lanes.select(
        "node_id",
        pl.col("ship_to_zone"),
        "service_level",
        pl.col("cost_per_package").alias("lane_pkg"),
        pl.col("cost_per_kg").alias("lane_kg"),
        pl.col("transit_days").alias("lane_transit"),
    )
    pairs = pairs.join(
        lanes, on=["node_id", "ship_to_zone", "service_level"], how="left", maintain_order="left"
    )
    has_lane = (
        (pairs["mode"].is_in([SHIP_DC, SHIP_STORE]) & pairs["lane_pkg"].is_not_null())
        .fill_null(False)
        .to_numpy()
    )
    n = pairs.height
    pkg = np.full(n, np.nan)
    kg = np.full(n, np.nan)
    transit = np.zeros(n, dtype=np.int64)
    services = pairs["service_level"].to_numpy()
    for service, bands in prep.rates.group_by("service_level", maintain_order=True):
        mask = (services == service[0]) & ~has_lane & ~is_pickup
        if not mask.any():
            continue
        idx = band_index(bands["max_distance_km"].to_numpy(), dist[mask])
        ok = idx >= 0
        sel = np.flatnonzero(mask)[ok]
        pkg[sel] = bands["cost_per_package"].to_numpy()[idx[ok]]
        kg[sel] = bands["cost_per_kg"].to_numpy()[idx[ok]]
        transit[sel] = bands["transit_days"].to_numpy()[idx[ok]]
    lane_pkg = pairs["lane_pkg"].fill_null(np.nan).to_numpy()
    pkg = np.where(has_lane, lane_pkg, pkg)
    kg = np.where(has_lane, pairs["lane_kg"].fill_null(np.nan).to_numpy(), kg)
    transit = np.where(has_lane, pairs["lane_transit"].fill_null(0).to_numpy(), transit)
    pkg = np.where(is_pickup, 0.0, pkg)
    kg = np.where(is_pickup, 0.0, kg)
    return pairs.drop("lane_pkg", "lane_kg", "lane_transit").with_columns(
        distance_km=pl.Series(dist).fill_nan(None),
        cost_per_package=pl.Series(pkg),
        cost_per_kg=pl.Series(kg),
        transit_days=pl.Series(transit),
        reachable=pl.Series(~np.isnan(pkg)),
    )


def _excluded(pairs: pl.DataFrame, exclusions: pl.DataFrame) -> pl.DataFrame:
    """(line_idx, node_idx) pairs closed by an exclusion: one equi-join per null pattern."""
    found: list[pl.DataFrame] = []
    ex = exclusions.with_columns(
        _pattern=pl.concat_str(
            [pl.col(k).is_not_null().cast(pl.Int8).cast(pl.String) for k in EXCLUSION_KEYS]
        )
    )
    for (pattern,), rows in ex.group_by("_pattern", maintain_order=True):
        keys = [k for k, bit in zip(EXCLUSION_KEYS, pattern, strict=True) if bit == "1"]
        rows = rows.unique(keys, keep="first", maintain_order=True).select(*keys, "reason")
        if keys:
            hit = pairs.select("line_idx", "node_idx", *keys).join(rows, on=keys)
        else:  # an exclusion with no filter at all closes everything
            hit = pairs.select("line_idx", "node_idx").with_columns(
                reason=pl.lit(rows["reason"][0])
            )
        found.append(hit.select("line_idx", "node_idx", "reason"))
    if not found:
        return pl.DataFrame(
            schema={"line_idx": pl.Int64, "node_idx": pl.Int64, "exclusion_reason": pl.String}
        )
    return (
        pl.concat(found)
        .unique(["line_idx", "node_idx"], keep="first", maintain_order=True)
        .rename({"reason": "exclusion_reason"})
    )


def _flagged_pairs(
    lines: pl.DataFrame, prep: Prepared, settings: AllocationSettings, atp: pl.DataFrame | None
) -> pl.DataFrame:
    """Pairs with the flags that decide eligibility, each computed independently."""
    pairs = _expand(lines, prep.nodes, atp)
    if pairs.is_empty():
        return pairs.with_columns(
            mode_ok=pl.lit(False),
            reachable=pl.lit(False),
            allowed=pl.lit(False),
            distance_km=pl.lit(None, pl.Float64),
            cost_per_package=pl.lit(None, pl.Float64),
            cost_per_kg=pl.lit(None, pl.Float64),
            transit_days=pl.lit(None, pl.Int64),
        )
    pairs = pairs.with_columns(mode_ok=_mode_ok(settings))
    pairs = _with_rates(pairs, prep)
    excluded = _excluded(pairs, prep.exclusions)
    return pairs.join(excluded, on=["line_idx", "node_idx"], how="left").with_columns(
        allowed=pl.col("exclusion_reason").is_null()
    )


def _no_candidate_reasons(
    lines: pl.DataFrame, prep: Prepared, settings: AllocationSettings
) -> pl.DataFrame:
    """For lines without any candidate: the furthest stage of the eligibility funnel reached."""
    if lines.is_empty():
        return pl.DataFrame(schema={"line_idx": pl.Int64, "no_candidate_reason": pl.String})
    pairs = _flagged_pairs(lines, prep, settings, atp=None)
    atp = prep.atp.select("node_idx", "sku", pl.col("available_to_promise").alias("_atp"))
    pairs = pairs.join(atp, on=["node_idx", "sku"], how="left").with_columns(
        s1=pl.col("mode_ok") & pl.col("reachable")
    )
    pairs = pairs.with_columns(s2=pl.col("s1") & pl.col("allowed"))
    pairs = pairs.with_columns(s3=pl.col("s2") & (pl.col("_atp").fill_null(0) > 0))
    funnel = pairs.group_by("line_idx").agg(pl.col("s1", "s2", "s3").any())
    return (
        lines.select("line_idx", "known_sku")
        .join(funnel, on="line_idx", how="left")
        .select(
            "line_idx",
            no_candidate_reason=pl.when(~pl.col("known_sku"))
            .then(pl.lit("unknown_sku"))
            .when(~pl.col("s1").fill_null(False))
            .then(pl.lit("not_shippable"))
            .when(~pl.col("s2"))
            .then(pl.lit("excluded"))
            .when(~pl.col("s3"))
            .then(pl.lit("no_stock"))
            .otherwise(pl.lit("no_capacity")),
        )
    )


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


def build_candidates(inputs: AllocationInputs, settings: AllocationSettings) -> Candidates:
    """Every eligible (line, node, mode) with costs; lines without one get a reason."""
    prep = prepare(inputs)
    lines = prep.lines
    known = lines.filter(pl.col("known_sku"))
    pairs = _flagged_pairs(known, prep, settings, atp=prep.atp)
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
    cands = _costed(cands, settings)
    cands, groups, pair_frame = _grouped(cands, prep.nodes)
    cands = (
        cands.sort("line_idx", "node_idx", "mode")
        .with_columns(
            rank=pl.struct(
                pl.col("distance_km").fill_null(float("inf")), "days", "unit_obj", "node_idx"
            )
            .rank("ordinal")
            .over("line_idx")
            .cast(pl.Int64)
        )
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
        )
    )
    without = lines.join(cands.select("line_idx").unique(), on="line_idx", how="anti")
    reasons = _no_candidate_reasons(without, prep, settings)
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


def prune_candidates(c: Candidates, per_line: int, keep: pl.DataFrame | None = None) -> Candidates:
    """Keep the ``per_line`` cheapest candidates of each line (by standalone cost) plus ``keep``.

    A heuristic for very large runs: the model's bound then holds for the restricted model only.
    ``keep`` (cand_idx) lets the caller retain e.g. the baseline's choices, so the restricted
    model still contains the baseline plan.
    """
    if per_line <= 0:
        return c
    cands = c.candidates.join(c.lines.select("line_idx", "quantity"), on="line_idx")
    standalone = (
        cands.join(
            c.groups.select("group_idx", pl.col("cost_per_package").alias("_pkg")), on="group_idx"
        )
        .join(c.pairs.select("pair_idx", "handling_cost_per_order"), on="pair_idx")
        .with_columns(
            _cost=pl.col("_pkg")
            + pl.col("handling_cost_per_order")
            + pl.col("quantity") * pl.col("unit_obj")
        )
        .with_columns(_r=pl.col("_cost").rank("ordinal").over("line_idx"))
    )
    chosen = standalone.filter(pl.col("_r") <= per_line).select("cand_idx")
    if keep is not None:
        chosen = pl.concat([chosen, keep.select(pl.col("cand_idx").cast(pl.Int64))]).unique()
    kept = c.candidates.join(chosen, on="cand_idx", how="semi").sort("cand_idx")
    return replace(c, candidates=kept)
