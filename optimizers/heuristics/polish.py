"""Drop fills that cost more than backordering them: a plan only gets cheaper, never infeasible.

Every constraint but the line equation is a "<=" on units or on "used" indicators, so removing
units (and a parcel that becomes empty) keeps a plan feasible. Applied to solver plans and to
starting plans: a start with such fills is also what HiGHS's presolve silently improves in its
reduced space while still returning the original values with the reduced objective.
"""

from __future__ import annotations

import polars as pl

from optimizers.candidates import Candidates
from optimizers.model.objective import FILLS_SCHEMA, filled_rows


def polish_fills(c: Candidates, fills: pl.DataFrame) -> pl.DataFrame:
    """Remove units whose own cost exceeds their backorder penalty, then parcels (groups) whose
    package, handling and units cost more than backordering all their units."""
    penalty = c.settings.backorder_penalty
    rows = filled_rows(c, fills).join(c.lines.select("line_idx", "unit_price"), on="line_idx")
    rows = rows.filter(pl.col("unit_obj") <= penalty * pl.col("unit_price") + 1e-9)
    groups_per_pair = rows.group_by("pair_idx").agg(n_groups=pl.col("group_idx").n_unique())
    per_group = (
        rows.group_by("group_idx", "pair_idx")
        .agg(
            units=((pl.col("unit_obj") - penalty * pl.col("unit_price")) * pl.col("quantity")).sum()
        )
        .join(groups_per_pair, on="pair_idx")
        .join(c.groups.select("group_idx", "is_ship", "cost_per_package"), on="group_idx")
        .join(c.pairs.select("pair_idx", "handling_cost_per_order"), on="pair_idx")
        .with_columns(
            saving=pl.col("units")
            + pl.when(pl.col("is_ship")).then("cost_per_package").otherwise(0.0)
            + pl.when(pl.col("n_groups") == 1).then("handling_cost_per_order").otherwise(0.0)
        )
    )
    drop = per_group.filter(pl.col("saving") > 1e-9).select("group_idx")
    kept = rows.join(drop, on="group_idx", how="anti")
    return kept.select("cand_idx", "quantity").cast(FILLS_SCHEMA).sort("cand_idx")
