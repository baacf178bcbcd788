"""The one definition of the objective terms, evaluated on a plan (not read from a solver).

The optimizer, the baseline, the reports and the tests all price a plan here, so "what
optimization saved" compares like with like. A plan is a *fills* frame: ``cand_idx`` (a row of
``Candidates.candidates``) and ``quantity`` (whole units).
"""

from __future__ import annotations

import polars as pl

from optimizers.candidates import Candidates

TERMS = ("parcel_cost", "handling_cost", "days_cost", "late_cost", "backorder_cost")
FILLS_SCHEMA = {"cand_idx": pl.Int64, "quantity": pl.Int64}


def empty_fills() -> pl.DataFrame:
    """A plan that fills nothing."""
    return pl.DataFrame(schema=FILLS_SCHEMA)


def filled_rows(c: Candidates, fills: pl.DataFrame) -> pl.DataFrame:
    """Fills with positive quantity joined to their candidate's attributes."""
    return (
        fills.filter(pl.col("quantity") > 0)
        .join(c.candidates, on="cand_idx", how="inner")
        .sort("cand_idx")
    )


def objective_terms(c: Candidates, fills: pl.DataFrame) -> dict[str, float]:
    """Parcel, handling, days, late and backorder terms, their sum and the plan's counts.

    Σ parcels (cost_per_package + cost_per_kg × parcel weight)
    + Σ (order, node) pairs filling any unit handling_cost_per_order + Σ units handling per unit
    + days_weight × Σ units × days + late_penalty × Σ late units
    + backorder_penalty × Σ backordered units × unit_price.
    """
    s = c.settings
    rows = filled_rows(c, fills)
    groups = c.groups.join(rows.select("group_idx").unique(), on="group_idx", how="semi")
    pairs = c.pairs.join(rows.select("pair_idx").unique(), on="pair_idx", how="semi")
    per_line = rows.group_by("line_idx").agg(filled=pl.col("quantity").sum())
    lines = c.lines.join(per_line, on="line_idx", how="left").with_columns(
        backordered=pl.col("quantity") - pl.col("filled").fill_null(0)
    )
    q = pl.col("quantity")
    sums = rows.select(
        kg=(pl.col("cost_per_kg") * pl.col("unit_weight_kg") * q).sum(),
        handling_units=(pl.col("handling_cost_per_unit") * q).sum(),
        unit_days=(pl.col("days") * q).sum(),
        late_units=(pl.col("late").cast(pl.Int64) * q).sum(),
        units=q.sum(),
    ).row(0, named=True)
    parcels = groups.filter(pl.col("is_ship"))
    terms = {
        "parcel_cost": float(parcels["cost_per_package"].sum()) + float(sums["kg"] or 0.0),
        "handling_cost": float(pairs["handling_cost_per_order"].sum())
        + float(sums["handling_units"] or 0.0),
        "days_cost": s.days_weight * float(sums["unit_days"] or 0),
        "late_cost": s.late_penalty * float(sums["late_units"] or 0),
        "backorder_cost": s.backorder_penalty
        * float((lines["backordered"] * lines["unit_price"]).sum()),
    }
    terms["objective"] = sum(terms[t] for t in TERMS)
    terms["plan_cost"] = terms["parcel_cost"] + terms["handling_cost"]
    terms["units_allocated"] = float(sums["units"] or 0)
    terms["units_backordered"] = float(lines["backordered"].sum())
    terms["parcels"] = float(parcels.height)
    terms["late_units"] = float(sums["late_units"] or 0)
    return terms
