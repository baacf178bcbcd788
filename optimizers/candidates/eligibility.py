"""Which node may fill which line, and at what rate: the rules of the contract as joins.

Every (line, node) pair gets independent flags: the mode is allowed (node capabilities and
run switches), a rate exists (the lane for a zoned ship line, else the smallest covering
distance band), no exclusion matches. Candidates are the pairs passing all of them with stock
and capacity; a line with none gets the furthest stage of that funnel it reached as reason.
"""

from __future__ import annotations

import polars as pl

from contracts.vocabulary import BackorderReason, Mode, NodeType, OrderMethod
from optimizers.candidates.prepare import Prepared
from optimizers.candidates.rates import with_rates
from optimizers.settings import AllocationSettings

EXCLUSION_KEYS = ("node_id", "sku", "customer_id", "channel")


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
        "wait_days",
    )
    if atp is not None:
        pairs = lines.join(
            atp.select("sku", "node_idx", "atp_idx", "available_to_promise"), on="sku"
        ).join(node_cols, on="node_idx")
    else:
        pairs = lines.join(node_cols, how="cross").with_columns(
            atp_idx=pl.lit(None, dtype=pl.Int64), available_to_promise=pl.lit(0, dtype=pl.Int64)
        )
    store = nodes.filter(pl.col("wait_days") == 0).select(
        pl.col("node_id").alias("pickup_node_id"),
        pl.col("latitude").alias("pickup_lat"),
        pl.col("longitude").alias("pickup_lon"),
        pl.col("supports_pickup").alias("pickup_ok"),
    )
    pairs = pairs.join(store, on="pickup_node_id", how="left").with_columns(
        pl.col("pickup_ok").fill_null(False)
    )
    return pairs.with_columns(
        mode=pl.when(pl.col("method") == OrderMethod.SHIP)
        .then(
            pl.when(pl.col("node_type") == NodeType.STORE)
            .then(pl.lit(Mode.SHIP_FROM_STORE))
            .otherwise(pl.lit(Mode.SHIP_FROM_DC))
        )
        .when(pl.col("node_id") == pl.col("pickup_node_id"))
        .then(pl.lit(Mode.PICKUP_IN_STORE))
        .otherwise(pl.lit(Mode.SHIP_TO_STORE))
    )


def _mode_ok(settings: AllocationSettings) -> pl.Expr:
    """Node capabilities and run switches that allow a mode at all."""
    can_ship = pl.col("supports_ship") & (
        (pl.col("node_type") != NodeType.STORE) | pl.lit(settings.ship_from_store)
    )
    return (
        pl.when(pl.col("mode") == Mode.PICKUP_IN_STORE)
        .then(pl.lit(settings.pickup_in_store) & pl.col("supports_pickup"))
        .when(pl.col("mode") == Mode.SHIP_TO_STORE)
        .then(pl.lit(settings.ship_to_store) & pl.col("pickup_ok") & can_ship)
        .otherwise(can_ship)
    )


def _excluded(
    pairs: pl.DataFrame, exclusions: pl.DataFrame, line_exclusions: pl.DataFrame
) -> pl.DataFrame:
    """(line_idx, node_idx) pairs closed by an exclusion (one equi-join per null pattern) or by
    a line's own exclusion (a node that rejected the line)."""
    found: list[pl.DataFrame] = []
    if line_exclusions.height:
        per_line = pairs.select("line_idx", "node_idx", "order_id", "line_no", "node_id").join(
            line_exclusions.unique(["order_id", "line_no", "node_id"], keep="first"),
            on=["order_id", "line_no", "node_id"],
        )
        found.append(per_line.select("line_idx", "node_idx", "reason"))
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


def flagged_pairs(
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
    pairs = with_rates(pairs, prep)
    excluded = _excluded(pairs, prep.exclusions, prep.line_exclusions)
    return pairs.join(excluded, on=["line_idx", "node_idx"], how="left").with_columns(
        allowed=pl.col("exclusion_reason").is_null()
    )


def no_candidate_reasons(
    lines: pl.DataFrame, prep: Prepared, settings: AllocationSettings
) -> pl.DataFrame:
    """For lines without any candidate: the furthest stage of the eligibility funnel reached."""
    if lines.is_empty():
        return pl.DataFrame(schema={"line_idx": pl.Int64, "no_candidate_reason": pl.String})
    pairs = flagged_pairs(lines, prep, settings, atp=None)
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
            .then(pl.lit(BackorderReason.UNKNOWN_SKU))
            .when(~pl.col("s1").fill_null(False))
            .then(pl.lit(BackorderReason.NOT_SHIPPABLE))
            .when(~pl.col("s2"))
            .then(pl.lit(BackorderReason.EXCLUDED))
            .when(~pl.col("s3"))
            .then(pl.lit(BackorderReason.NO_STOCK))
            .otherwise(pl.lit(BackorderReason.NO_CAPACITY)),
        )
    )
