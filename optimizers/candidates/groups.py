"""Parcels and handling: which candidates share a group, and the per-unit shares of its costs.

Each candidate belongs to a *group* (order, node, service level, destination): for shipping
modes a group is one parcel; an own-store pickup is a group without a parcel. Each group
belongs to an (order, node) *pair*, which pays the node's handling cost per order once.
"""

from __future__ import annotations

import polars as pl

from contracts.vocabulary import Mode

# Columns the grouping adds to candidates (dropped before a chunk's candidates are combined).
GROUP_COLUMNS = ("is_ship", "group_service", "dest_key", "destination", "group_idx", "pair_idx")


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
        pl.when(pl.col("mode") == Mode.PICKUP_IN_STORE)
        .then(pl.lit("pickup"))
        .when(pl.col("mode") == Mode.SHIP_TO_STORE)
        .then(pl.lit("store|") + pl.col("pickup_node_id"))
        .otherwise(pl.lit("customer|") + coords)
    )


def grouped(cands: pl.DataFrame, nodes: pl.DataFrame) -> tuple[pl.DataFrame, ...]:
    """Assign group (parcel or own-store pickup) and (order, node) pair indices."""
    cands = cands.with_columns(
        is_ship=pl.col("mode") != Mode.PICKUP_IN_STORE,
        group_service=pl.when(pl.col("mode") == Mode.PICKUP_IN_STORE)
        .then(pl.lit(""))
        .otherwise("service_level"),
        dest_key=_dest_key(),
        destination=pl.when(pl.col("mode") == Mode.PICKUP_IN_STORE)
        .then("pickup_node_id")
        .when(pl.col("mode") == Mode.SHIP_TO_STORE)
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


def with_shares(cands: pl.DataFrame, groups: pl.DataFrame, pairs: pl.DataFrame) -> pl.DataFrame:
    """Per-unit shares of the fixed costs and counted rows a candidate can trigger.

    A group's package and its pair's handling are spread over the lines that can use the group
    (and the handling over the pair's groups); these are the rates of the Lagrangian bound
    (and the candidate ranking), computed over every eligible candidate so they
    stay valid when candidates are pruned later."""
    per_group = cands.group_by("group_idx").agg(_n_lines=pl.len())
    per_pair = groups.group_by("pair_idx").agg(_n_groups=pl.len(), _n_ship=pl.col("is_ship").sum())
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
