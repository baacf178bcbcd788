"""The objective, defined once: what a unit, a parcel, a pair and a backorder cost.

The candidates carry each unit's cost (``unit_cost``), the model's cost vector is built from
it and from the fixed costs below, and every finished plan (the optimizer's, the baseline's,
any plan a test or a scenario builds) is priced by ``objective_terms`` over the same
definitions, so "what optimization saved" compares like with like.

    Σ parcels (cost_per_package + cost_per_kg × parcel weight)
    + Σ (order, node) pairs filling any unit handling_cost_per_order + Σ units handling per unit
    + days_weight × Σ units × delivery days + late_penalty × Σ late units
    + backorder_penalty × Σ backordered units × unit_price

A plan is a *fills* frame: ``cand_idx`` (a row of ``Candidates.candidates``) and ``quantity``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from optimizers.settings import AllocationSettings

if TYPE_CHECKING:  # the candidates are built with these definitions; typing only
    from optimizers.candidates import Candidates

TERMS = ("parcel_cost", "handling_cost", "days_cost", "late_cost", "backorder_cost")
FILLS_SCHEMA = pl.Schema({"cand_idx": pl.Int64(), "quantity": pl.Int64()})


def delivery_days() -> pl.Expr:
    """Days from the wave to the customer: the days until supply can ship (0 for stock on
    hand), the node's processing days and transit."""
    return (pl.col("wait_days") + pl.col("processing_days") + pl.col("transit_days")).cast(pl.Int64)


def is_late(days: str = "days") -> pl.Expr:
    """Late means delivery days above the line's promised_days (no promise: never late)."""
    return pl.col("promised_days").is_not_null() & (pl.col(days) > pl.col("promised_days"))


def days_cost(s: AllocationSettings, days: pl.Expr, units: pl.Expr | float = 1.0) -> pl.Expr:
    """days_weight × units × delivery days."""
    return s.days_weight * days * units


def late_cost(s: AllocationSettings, late: pl.Expr, units: pl.Expr | float = 1.0) -> pl.Expr:
    """late_penalty × late units."""
    return s.late_penalty * late.cast(pl.Float64) * units


def unit_cost(s: AllocationSettings) -> pl.Expr:
    """Objective of one unit of a candidate, apart from the parcel's package and the pair's
    per-order handling: weight-priced freight, per-unit handling, days and lateness."""
    return (
        pl.col("cost_per_kg") * pl.col("weight_kg")
        + pl.col("handling_cost_per_unit")
        + days_cost(s, pl.col("days"))
        + late_cost(s, pl.col("late"))
    )


def backorder_cost(s: AllocationSettings, unit_price: np.ndarray | float) -> np.ndarray | float:
    """What backordered units cost: backorder_penalty × unit_price (× units, if summed)."""
    return s.backorder_penalty * unit_price


def gap(objective: float | None, bound: float | None) -> float | None:
    """Relative optimality gap of a plan against a lower bound (None without a bound)."""
    if objective is None or bound is None or not np.isfinite(bound):
        return None
    return max(0.0, objective - bound) / max(abs(objective), 1e-9)


def proven(objective: float, bound: float | None, mip_gap: float) -> bool:
    """The plan is within ``mip_gap`` (relative) of the lower bound."""
    found = gap(objective, bound) if np.isfinite(objective) else None
    return found is not None and found <= mip_gap


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
    """The terms of the module docstring, their sum and the plan's counts."""
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
        days=days_cost(s, pl.col("days"), q).sum(),
        late=late_cost(s, pl.col("late"), q).sum(),
        late_units=(pl.col("late").cast(pl.Int64) * q).sum(),
        units=q.sum(),
    ).row(0, named=True)
    parcels = groups.filter(pl.col("is_ship"))
    backordered = lines["backordered"].to_numpy().astype(np.float64)
    price = lines["unit_price"].to_numpy().astype(np.float64)
    terms = {
        "parcel_cost": float(parcels["cost_per_package"].sum()) + float(sums["kg"] or 0.0),
        "handling_cost": float(pairs["handling_cost_per_order"].sum())
        + float(sums["handling_units"] or 0.0),
        "days_cost": float(sums["days"] or 0.0),
        "late_cost": float(sums["late"] or 0.0),
        "backorder_cost": float(backordered @ backorder_cost(s, price)),
    }
    terms["objective"] = sum(terms[t] for t in TERMS)
    terms["plan_cost"] = terms["parcel_cost"] + terms["handling_cost"]
    terms["units_allocated"] = float(sums["units"] or 0)
    terms["units_backordered"] = float(backordered.sum())
    terms["parcels"] = float(parcels.height)
    terms["late_units"] = float(sums["late_units"] or 0)
    return terms
