"""KPI definitions: every number a planner sees is computed here (and in the two modules
it composes, ``measures`` and ``breakdowns``), once.

The KPI report, the warehouse marts, the benefit scenarios and the tests all call these
functions, so a fill rate or a margin means the same thing everywhere. Ratios are fractions
in [0, 1] (``None`` when the denominator is zero); money is in the rate card's currency.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

import polars as pl

from contracts.vocabulary import Mode
from reporting.breakdowns import (
    backorders_by_reason,
    channel_mix,
    cost_comparison,
    delivery,
    method_mix,
    node_utilization,
    parcels_per_served_order,
)
from reporting.measures import (
    GrossMargin,
    gross_margin,
    line_fill,
    objective_of,
    plan_cost_of,
    ratio,
    units_allocated,
    weighted_quantile,
)

if TYPE_CHECKING:  # runtime import would tie this pure module to the optimizer package
    from optimizers.types import AllocationResult

P90 = 0.9


@dataclass(frozen=True, eq=False)
class Kpis:
    """The KPIs of one plan: scalars (see ``SCALAR_UNITS``) plus small tables for charts."""

    orders: int
    lines: int
    units_ordered: int
    units_allocated: int
    units_backordered: int
    fill_rate_units: float | None
    fill_rate_lines: float | None
    fill_rate_orders: float | None
    orders_served: int
    parcels: int
    parcels_per_order: float | None
    split_rate: float | None
    plan_cost: float
    cost_per_order: float | None
    cost_per_unit: float | None
    delivery_days_mean: float | None
    delivery_days_p90: float | None
    on_time_rate: float | None
    ship_from_store_share: float | None
    bopis_share: float | None
    ship_to_store_share: float | None
    revenue: float
    cogs: float
    gross_margin: float
    gross_margin_rate: float | None
    objective: float
    baseline_objective: float | None
    objective_savings: float | None
    objective_savings_pct: float | None
    baseline_plan_cost: float | None
    plan_cost_savings: float | None
    plan_cost_savings_pct: float | None
    optimality_gap: float | None
    solve_seconds: float
    solver: str
    status: str
    backorders_by_reason: pl.DataFrame  # reason, lines, units
    parcels_distribution: pl.DataFrame  # parcels, orders (served orders; 0 = pickup only)
    delivery_days_distribution: pl.DataFrame  # days, units
    node_utilization: pl.DataFrame  # see node_utilization()
    channel_mix: pl.DataFrame  # channel, orders, lines, units_ordered, units_allocated, ...
    method_mix: pl.DataFrame  # fulfillment_method, lines, units, unit_share
    cost_comparison: pl.DataFrame  # term, optimized, baseline, savings, savings_pct
    baseline_comparison: pl.DataFrame  # kpi, unit, optimized, baseline

    def to_long(self) -> pl.DataFrame:
        """One row per scalar KPI (kpi, value, unit), plus backordered units per reason."""
        rows = [(name, _float(getattr(self, name)), unit) for name, unit in SCALAR_UNITS.items()]
        rows += [
            (f"backordered_units.{r['reason']}", float(r["units"]), "units")
            for r in self.backorders_by_reason.iter_rows(named=True)
        ]
        return pl.DataFrame(
            rows, schema={"kpi": pl.String, "value": pl.Float64, "unit": pl.String}, orient="row"
        )


# Unit of every scalar KPI; "ratio" is a fraction in [0, 1], "%" a percentage.
SCALAR_UNITS: dict[str, str] = {
    "orders": "orders",
    "lines": "lines",
    "units_ordered": "units",
    "units_allocated": "units",
    "units_backordered": "units",
    "fill_rate_units": "ratio",
    "fill_rate_lines": "ratio",
    "fill_rate_orders": "ratio",
    "orders_served": "orders",
    "parcels": "parcels",
    "parcels_per_order": "parcels/order",
    "split_rate": "ratio",
    "plan_cost": "currency",
    "cost_per_order": "currency/order",
    "cost_per_unit": "currency/unit",
    "delivery_days_mean": "days",
    "delivery_days_p90": "days",
    "on_time_rate": "ratio",
    "ship_from_store_share": "ratio",
    "bopis_share": "ratio",
    "ship_to_store_share": "ratio",
    "revenue": "currency",
    "cogs": "currency",
    "gross_margin": "currency",
    "gross_margin_rate": "ratio",
    "objective": "objective",
    "baseline_objective": "objective",
    "objective_savings": "objective",
    "objective_savings_pct": "%",
    "baseline_plan_cost": "currency",
    "plan_cost_savings": "currency",
    "plan_cost_savings_pct": "%",
    "optimality_gap": "ratio",
    "solve_seconds": "seconds",
}
assert set(SCALAR_UNITS) <= {f.name for f in fields(Kpis)}


def _float(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


COMPARED = (
    "fill_rate_units",
    "fill_rate_lines",
    "fill_rate_orders",
    "parcels_per_order",
    "split_rate",
    "plan_cost",
    "cost_per_order",
    "delivery_days_mean",
    "delivery_days_p90",
    "on_time_rate",
    "gross_margin",
    "objective",
)


def _baseline_comparison(kpis: dict[str, object], base: Kpis | None) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "kpi": list(COMPARED),
            "unit": [SCALAR_UNITS[k] for k in COMPARED],
            "optimized": [_float(kpis[k]) for k in COMPARED],
            "baseline": [_float(getattr(base, k)) if base else None for k in COMPARED],
        },
        schema={
            "kpi": pl.String,
            "unit": pl.String,
            "optimized": pl.Float64,
            "baseline": pl.Float64,
        },
    )


def _fill_values(lines: pl.DataFrame, result: AllocationResult) -> dict[str, object]:
    """Orders, lines and units: ordered, allocated, backordered, fill rates."""
    filled_orders = lines.group_by("order_id").agg(pl.col("filled").all())
    units_ordered = int(lines["quantity"].sum()) if lines.height else 0
    allocated = units_allocated(result)
    backordered = result.backorders["quantity"].sum() if result.backorders.height else 0
    return {
        "orders": filled_orders.height,
        "lines": lines.height,
        "units_ordered": units_ordered,
        "units_allocated": allocated,
        "units_backordered": int(backordered),
        "fill_rate_units": ratio(allocated, units_ordered),
        "fill_rate_lines": ratio(int(lines["filled"].sum()), lines.height),
        "fill_rate_orders": ratio(int(filled_orders["filled"].sum()), filled_orders.height),
    }


def _parcel_values(per_order: pl.DataFrame, plan_cost: float, allocated: int) -> dict[str, object]:
    """Served orders, parcels, splits and cost per order and unit."""
    served = per_order.height
    parcels = int(per_order["parcels"].sum()) if served else 0
    split = per_order.filter((pl.col("parcels") > 1) | (pl.col("nodes") > 1)).height
    return {
        "orders_served": served,
        "parcels": parcels,
        "parcels_per_order": ratio(parcels, served),
        "split_rate": ratio(split, served),
        "plan_cost": plan_cost,
        "cost_per_order": ratio(plan_cost, served),
        "cost_per_unit": ratio(plan_cost, allocated),
    }


def _delivery_values(
    days: pl.DataFrame, on_time: float | None, mix: pl.DataFrame
) -> dict[str, object]:
    """Delivery days (mean, p90), on-time rate and the method shares."""
    share = dict(zip(mix["fulfillment_method"], mix["unit_share"], strict=True))
    return {
        "delivery_days_mean": ratio(
            float((days["days"] * days["units"]).sum()), float(days["units"].sum())
        ),
        "delivery_days_p90": weighted_quantile(days["days"], days["units"], P90),
        "on_time_rate": on_time,
        "ship_from_store_share": share[Mode.SHIP_FROM_STORE],
        "bopis_share": share[Mode.PICKUP_IN_STORE],
        "ship_to_store_share": share[Mode.SHIP_TO_STORE],
    }


def _money_values(
    margin: GrossMargin, result: AllocationResult, baseline: AllocationResult | None
) -> dict[str, object]:
    """Margin, objective, savings against the baseline, gap and solve time."""
    plan_cost, objective = margin.plan_cost, objective_of(result)
    base_obj = objective_of(baseline) if baseline is not None else None
    base_cost = plan_cost_of(baseline) if baseline is not None else None
    return {
        "revenue": margin.revenue,
        "cogs": margin.cogs,
        "gross_margin": margin.gross_margin,
        "gross_margin_rate": margin.rate,
        "objective": objective,
        "baseline_objective": base_obj,
        "objective_savings": None if base_obj is None else base_obj - objective,
        "objective_savings_pct": None if base_obj is None else _pct(base_obj - objective, base_obj),
        "baseline_plan_cost": base_cost,
        "plan_cost_savings": None if base_cost is None else base_cost - plan_cost,
        "plan_cost_savings_pct": None
        if base_cost is None
        else _pct(base_cost - plan_cost, base_cost),
        "optimality_gap": result.stats.gap,
        "solve_seconds": float(result.stats.seconds),
    }


def compute_kpis(
    orders: pl.DataFrame,
    nodes: pl.DataFrame,
    products: pl.DataFrame,
    result: AllocationResult,
    baseline: AllocationResult | None = None,
) -> Kpis:
    """All KPIs of ``result``; savings and comparisons against ``baseline`` when given.

    Definitions: fill rates over all order lines of ``orders``; a line (order) is filled when
    every unit (line) is; parcels per order, split rate and cost per order are over served
    orders (≥ 1 unit allocated); split = more than one parcel or more than one node; delivery
    days and on-time are unit-weighted over allocated units (on-time only over lines with a
    promise); method shares are shares of allocated units. ``baseline`` defaults to the
    rule-based plan the optimizer attached to ``result``.
    """
    if baseline is None:
        baseline = getattr(result, "baseline", None)
    lines = line_fill(orders, result)
    per_order = parcels_per_served_order(result)
    days, on_time = delivery(orders, result)
    mix = method_mix(result)
    margin = gross_margin(orders, products, result)
    values = {
        **_fill_values(lines, result),
        **_parcel_values(per_order, margin.plan_cost, units_allocated(result)),
        **_delivery_values(days, on_time, mix),
        **_money_values(margin, result, baseline),
    }
    base_kpis = compute_kpis(orders, nodes, products, baseline) if baseline is not None else None
    return Kpis(
        **values,  # type: ignore[arg-type]
        solver=result.stats.solver,
        status=result.stats.status,
        backorders_by_reason=backorders_by_reason(result),
        parcels_distribution=per_order.group_by("parcels")
        .agg(pl.len().cast(pl.Int64).alias("orders"))
        .sort("parcels"),
        delivery_days_distribution=days,
        node_utilization=node_utilization(nodes, result),
        channel_mix=channel_mix(lines),
        method_mix=mix,
        cost_comparison=cost_comparison(result, baseline),
        baseline_comparison=_baseline_comparison(values, base_kpis),
    )


def _pct(numerator: float, denominator: float) -> float | None:
    share = ratio(numerator, denominator)
    return None if share is None else 100 * share
