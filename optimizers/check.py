"""A plan's feasibility against the candidates it was built from (a guard, not the test oracle).

The solver's values are rounded to whole units; this check makes sure the rounded plan still
keeps every rule before anyone ships it. The tests carry their own, independent checker.
"""

from __future__ import annotations

import polars as pl

from optimizers.candidates import Candidates
from optimizers.objective import filled_rows


def violations(c: Candidates, fills: pl.DataFrame) -> list[str]:
    """Human-readable rule breaks of a plan; empty when the plan is feasible."""
    found: list[str] = []
    if fills.filter(pl.col("quantity") < 0).height:
        found.append("negative quantity")
    known = fills.join(c.candidates.select("cand_idx"), on="cand_idx", how="anti")
    if known.height:
        found.append(f"{known.height} fills use no eligible candidate")
    rows = filled_rows(c, fills)
    q = pl.col("quantity")
    over = rows.filter(q > pl.col("ub")).height
    if over:
        found.append(f"{over} fills above their bound")
    lines = (
        rows.group_by("line_idx")
        .agg(q.sum())
        .join(c.lines.select("line_idx", pl.col("quantity").alias("qty")), on="line_idx")
    )
    if lines.filter(pl.col("quantity") > pl.col("qty")).height:
        found.append("a line is filled beyond its quantity")
    atp = rows.group_by("atp_idx").agg(q.sum()).join(c.atp, on="atp_idx")
    if atp.filter(pl.col("quantity") > pl.col("available_to_promise")).height:
        found.append("ATP exceeded")
    ship = rows.filter(pl.col("is_ship"))
    nodes = (
        ship.group_by("node_idx")
        .agg(q.sum(), orders=pl.col("order_idx").n_unique())
        .join(c.nodes, on="node_idx")
    )
    if nodes.filter(pl.col("quantity") > pl.col("cap_units")).height:
        found.append("ship capacity (units) exceeded")
    if nodes.filter(pl.col("orders") > pl.col("cap_orders")).height:
        found.append("ship capacity (orders) exceeded")
    parcels = ship.group_by("order_idx").agg(n=pl.col("group_idx").n_unique())
    if parcels.filter(pl.col("n") > c.settings.max_parcels_per_order).height:
        found.append("parcel limit exceeded")
    return found
