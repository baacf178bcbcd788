"""What the KPI report shows besides the plan's KPIs: which wave it is, the settings and
currency, the intake's data quality, the benefit estimates, the trend over the last waves,
each node's numbers and the plan's biggest decisions in words.

``ReportContext`` carries these as plain frames (the warehouse reads them, ``warehouse.outbox``
``report_context``), so both renderers (``reporting.report``) stay pure and testable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import polars as pl

from contracts.vocabulary import BackorderReason, RunKind
from optimizers.plan.backorders import REASON_TEXT
from reporting.position import POSITION_COLUMNS

if TYPE_CHECKING:
    from optimizers.types import AllocationResult

# The partner files carry no currency: prices and rate cards are plain amounts. The report
# names one (kpi_report's ``currency`` setting) and states it beside every amount.
DEFAULT_CURRENCY = "USD"
TREND_WAVES = 12  # waves shown in the trend charts, the newest last
WHY_EXAMPLES = 5  # decisions shown per kind (splits, far sources, each backorder reason)
EARTH_KM = 6371.0


@dataclass(frozen=True)
class ReportContext:
    """Everything the report needs about a run beyond its KPIs (all optional but the id)."""

    run_id: str
    kind: str = RunKind.WAVE.value
    wave_at: datetime | None = None
    wave_number: int | None = None  # its place among the published waves of its business day
    settings: Mapping[str, object] = field(default_factory=dict)
    currency: str = DEFAULT_CURRENCY
    intake: pl.DataFrame | None = None  # file_name, kind, status, rows_read/accepted/...
    quarantine: pl.DataFrame | None = None  # kind, column, rule, rows, example
    benefits: pl.DataFrame | None = None  # marts.benefit_estimates rows of the run
    trend: pl.DataFrame | None = None  # earlier waves: label, fill_rate_units, on_time_rate, ...
    nodes: pl.DataFrame | None = None  # staging.nodes (names, types, coordinates)
    orders: pl.DataFrame | None = None  # the planned lines (prices, ship-to coordinates)
    plan: AllocationResult | None = None  # the optimizer's plan (allocations, explanations)
    position: pl.DataFrame | None = None  # marts.inventory_position rows of the run
    days: pl.DataFrame | None = None  # marts.daily_utilization rows of the run

    @property
    def timezone(self) -> str:
        return str(self.settings.get("business_timezone") or "UTC")

    def local_wave_at(self) -> datetime | None:
        return None if self.wave_at is None else self.wave_at.astimezone(ZoneInfo(self.timezone))


def report_title(context: ReportContext) -> str:
    """'Wave 2 of 2025-03-03, 11:00 UTC', or 'What-if (dry run) of …' for a scenario."""
    at = context.local_wave_at()
    when = "unknown time" if at is None else f"{at:%Y-%m-%d, %H:%M} {at.tzname()}"
    if context.kind == RunKind.SCENARIO:
        return f"What-if (dry run) of {when}"
    number = "" if context.wave_number is None else f" {context.wave_number}"
    return f"Wave{number} of {when}"


def report_stem(context: ReportContext) -> str:
    """The page's file name without suffix: ``2025-03-03_wave2_1a2b3c4d`` (a dry run:
    ``2025-03-03_whatif_1a2b3c4d``); sorted by name, a day's pages are in order."""
    at = context.local_wave_at()
    day = "undated" if at is None else f"{at:%Y-%m-%d}"
    if context.kind == RunKind.SCENARIO:
        what = "whatif"
    else:
        what = "wave" if context.wave_number is None else f"wave{context.wave_number}"
    short = "".join(ch for ch in context.run_id if ch.isalnum())[:8] or "run"
    return f"{day}_{what}_{short}"


def wave_numbers(waves: pl.DataFrame, timezone: str) -> pl.DataFrame:
    """``waves`` (run_id, wave_at, published_at) with ``day`` (business day in ``timezone``)
    and ``number``, the wave's place among that day's waves (1 = the day's first)."""
    return (
        waves.with_columns(day=pl.col("wave_at").dt.convert_time_zone(timezone).dt.date())
        .sort("wave_at", "published_at")
        .with_columns(number=pl.int_range(1, pl.len() + 1).over("day"))
    )


def settings_rows(settings: Mapping[str, object]) -> list[list[str]]:
    """The run's settings as (name, value) text, in name order."""
    return [[name, _setting(value)] for name, value in sorted(settings.items())]


def _setting(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


# ---- the nodes -----------------------------------------------------------------------------


def node_table(utilization: pl.DataFrame, context: ReportContext) -> pl.DataFrame:
    """One row per node with work, demand or stock: units and orders instructed, their cost
    (parcels and handling), ship capacity used, and its stock position; most units first."""
    plan = context.plan
    allocations = plan.allocations if plan is not None else pl.DataFrame()
    if allocations.is_empty():
        work = pl.DataFrame(
            schema={"node_id": pl.String, "units": pl.Int64, "orders": pl.Int64,
                    "cost": pl.Float64}
        )  # fmt: skip
    else:
        work = allocations.group_by("node_id").agg(
            units=pl.col("quantity").sum().cast(pl.Int64),
            orders=pl.col("order_id").n_unique().cast(pl.Int64),
            cost=(pl.col("parcel_cost").fill_null(0) + pl.col("handling_cost").fill_null(0)).sum(),
        )
    frame = utilization.select("node_id", "node_type", "unit_utilization", "order_utilization")
    if context.nodes is not None:
        frame = frame.join(
            context.nodes.select("node_id", "name", "latitude", "longitude"), on="node_id",
            how="left",
        )  # fmt: skip
    else:
        frame = frame.with_columns(
            name=pl.lit(None, pl.String),
            latitude=pl.lit(None, pl.Float64),
            longitude=pl.lit(None, pl.Float64),
        )
    frame = frame.join(work, on="node_id", how="left").with_columns(
        pl.col("units", "orders").fill_null(0), pl.col("cost").fill_null(0.0)
    )
    position = context.position
    if position is not None and not position.is_empty():
        per_node = position.group_by("node_id").agg(pl.col(*POSITION_COLUMNS).sum())
        frame = frame.join(per_node, on="node_id", how="left")
    else:
        frame = frame.with_columns(pl.lit(None, pl.Int64).alias(c) for c in POSITION_COLUMNS)
    active = (
        (pl.col("units") > 0)
        | (pl.col("on_hand").fill_null(0) > 0)
        | (pl.col("open_demand").fill_null(0) > 0)
    )
    return frame.filter(active).sort(["units", "node_id"], descending=[True, False])


NODE_COLUMNS = (
    "node_id", "name", "node_type", "units", "orders", "cost", "unit_utilization",
    "order_utilization", *POSITION_COLUMNS,
)  # fmt: skip


# ---- why: the biggest decisions in words ----------------------------------------------------


@dataclass(frozen=True)
class WhyGroup:
    """One kind of decision: a headline sentence and up to ``WHY_EXAMPLES`` lines' reasons."""

    heading: str
    summary: str
    examples: tuple[str, ...]


def why_groups(context: ReportContext) -> list[WhyGroup]:
    """Splits, the farthest sources and each backorder reason, from ``plan.explanations``."""
    plan = context.plan
    if plan is None or plan.explanations.is_empty():
        return []
    return [*_splits(plan), *_far_sources(context, plan), *_backorders(context, plan)]


def _line_label(row: Mapping[str, object]) -> str:
    return f"Order {row['order_id']} line {row['line_no']}"


def _splits(plan: AllocationResult) -> list[WhyGroup]:
    per_order = plan.allocations.filter(pl.col("parcel_id").is_not_null()).group_by(
        "order_id"
    ).agg(
        parcels=pl.col("parcel_id").n_unique(),
        nodes=pl.col("node_id").unique().sort(),
    )  # fmt: skip
    split = per_order.filter((pl.col("parcels") > 1) | (pl.col("nodes").list.len() > 1))
    if split.is_empty():
        return []
    top = split.sort(["parcels", "order_id"], descending=[True, False]).head(WHY_EXAMPLES)
    reasons = plan.explanations.filter(pl.col("order_id").is_in(top["order_id"].implode()))
    examples = []
    for row in top.iter_rows(named=True):
        lines = reasons.filter(pl.col("order_id") == row["order_id"]).sort("line_no")
        said = " ".join(
            f"Line {r['line_no']}: {r['explanation']}" for r in lines.iter_rows(named=True)
        )
        examples.append(
            f"Order {row['order_id']} goes in {row['parcels']} parcels from "
            f"{', '.join(row['nodes'])}. {said}"
        )
    return [
        WhyGroup(
            "Split orders",
            f"{split.height:,} orders ship in more than one parcel or from more than one node; "
            f"the {len(examples)} with the most parcels:",
            tuple(examples),
        )
    ]


def _far_sources(context: ReportContext, plan: AllocationResult) -> list[WhyGroup]:
    """The filled lines whose source is farthest from the customer (great-circle km)."""
    if context.nodes is None or context.orders is None or plan.allocations.is_empty():
        return []
    key = ["order_id", "line_no"]
    shipped = (
        plan.allocations.filter(pl.col("parcel_id").is_not_null())
        .group_by(*key, "node_id")
        .agg(pl.col("quantity").sum())
        .join(context.orders.select(*key, "ship_to_latitude", "ship_to_longitude"), on=key)
        .join(context.nodes.select("node_id", "latitude", "longitude"), on="node_id")
        .drop_nulls(["ship_to_latitude", "ship_to_longitude", "latitude", "longitude"])
    )
    if shipped.is_empty():
        return []
    far = (
        shipped.with_columns(km=_haversine_km())
        .sort(["km", "order_id", "line_no"], descending=[True, False, False])
        .unique(key, keep="first", maintain_order=True)
        .head(WHY_EXAMPLES)
        .join(plan.explanations.select(*key, "explanation"), on=key, how="left")
    )
    examples = tuple(
        f"{_line_label(r)} ships {r['km']:,.0f} km from {r['node_id']}: {r['explanation']}"
        for r in far.iter_rows(named=True)
    )
    return [
        WhyGroup("Farthest sources", "The lines shipped from farthest away, and why:", examples)
    ]


def _haversine_km() -> pl.Expr:
    lat1, lat2 = pl.col("latitude").radians(), pl.col("ship_to_latitude").radians()
    dlat = lat2 - lat1
    dlon = (pl.col("ship_to_longitude") - pl.col("longitude")).radians()
    a = (dlat / 2).sin() ** 2 + lat1.cos() * lat2.cos() * (dlon / 2).sin() ** 2
    return 2 * EARTH_KM * a.sqrt().arcsin()


def _backorders(context: ReportContext, plan: AllocationResult) -> list[WhyGroup]:
    """Per reason: lines, units, the plain reason; uneconomic ones also what filling would
    have cost against the penalty the plan paid instead."""
    if plan.backorders.is_empty():
        return []
    key = ["order_id", "line_no"]
    by_reason = (
        plan.backorders.group_by("reason")
        .agg(lines=pl.struct(key).n_unique(), units=pl.col("quantity").sum())
        .sort(["units", "reason"], descending=[True, False])
    )
    lines = plan.backorders.group_by(key).agg(reason=pl.col("reason").first(),
                                              units=pl.col("quantity").sum())  # fmt: skip
    lines = lines.join(plan.explanations.drop("backordered"), on=key, how="left")
    groups = []
    for row in by_reason.iter_rows(named=True):
        reason = row["reason"]
        mine = lines.filter(pl.col("reason") == reason)
        summary = (
            f"{row['units']:,} units on {row['lines']:,} lines: {REASON_TEXT.get(reason, reason)}."
        )
        if reason == BackorderReason.UNECONOMIC:
            summary += _uneconomic_sum(context, plan)
        top = mine.sort(["units", "order_id", "line_no"], descending=[True, False, False])
        examples = tuple(
            f"{_line_label(r)}: {r['explanation'] or ''}".rstrip(": ")
            for r in top.head(WHY_EXAMPLES).iter_rows(named=True)
        )
        groups.append(WhyGroup(f"Backordered: {reason}", summary, examples))
    return groups


def _uneconomic_sum(context: ReportContext, plan: AllocationResult) -> str:
    """'Filling them would have cost X against penalties of Y', from the backorders' own
    priced figures (``fill_cost``, ``penalty``)."""
    priced = plan.backorders.filter(
        (pl.col("reason") == BackorderReason.UNECONOMIC) & pl.col("fill_cost").is_not_null()
    )
    if priced.is_empty():
        return ""
    cost, paid = float(priced["fill_cost"].sum()), float(priced["penalty"].sum())
    penalty = float(context.settings.get("backorder_penalty", 1.0))  # type: ignore[arg-type]
    return (
        f" Filling them would have cost {cost:,.2f} {context.currency} against backorder "
        f"penalties of {paid:,.2f} {context.currency} (backorder_penalty {penalty:g} × unit "
        f"price): the plan keeps the difference, {cost - paid:,.2f} {context.currency}."
    )


# ---- trend, benefits, data quality ----------------------------------------------------------

TREND = (
    ("fill_rate_units", "Fill rate (units)", "fill rate", True),
    ("on_time_rate", "On-time rate", "on-time rate", True),
    ("cost_per_order", "Cost per served order", "cost per order", False),
)


def trend_frame(context: ReportContext, current: Mapping[str, float | None]) -> pl.DataFrame:
    """The earlier waves' KPIs (label, each TREND kpi) and this run's last, labelled
    'this wave' or 'what-if'."""
    label = "what-if" if context.kind == RunKind.SCENARIO else "this wave"
    if context.wave_number is not None and context.kind != RunKind.SCENARIO:
        at = context.local_wave_at()
        label = f"{at:%m-%d} W{context.wave_number}" if at is not None else label
    now = pl.DataFrame(
        {"label": [label], **{k: [current.get(k)] for k, *_ in TREND}},
        schema={"label": pl.String, **{k: pl.Float64 for k, *_ in TREND}},
    )
    if context.trend is None or context.trend.is_empty():
        return now
    earlier = context.trend.select("label", *(pl.col(k).cast(pl.Float64) for k, *_ in TREND))
    return pl.concat([earlier.tail(TREND_WAVES - 1), now])


BENEFIT_COLUMNS = (
    "capability", "method", "gross_margin_with", "gross_margin_without", "units_filled_delta",
    "plan_margin_delta", "extra_margin", "status_with", "status_without",
)  # fmt: skip


def benefit_sources(benefits: pl.DataFrame) -> list[str]:
    """Where each BORIS return figure came from: 'return_rate 8.0 % from data (412 units)'."""
    boris = benefits.filter(pl.col("capability") == "boris")
    if boris.is_empty():
        return []
    row = boris.row(0, named=True)
    out = []
    for figure in ("return_rate", "in_store_share", "resale_rate"):
        if row.get(figure) is None:
            continue
        source = row.get(f"{figure}_source") or "assumption"
        sample = f" ({row['returned_units']:,} returned units)" if source == "data" else ""
        out.append(f"{figure} {100 * row[figure]:.1f} % from {source}{sample}")
    return out


def quarantine_frame(rejected: pl.DataFrame) -> pl.DataFrame:
    """Quarantined rows' reasons (kind, column, rule, message) counted: most frequent first."""
    if rejected.is_empty():
        return pl.DataFrame(
            schema={"kind": pl.String, "column": pl.String, "rule": pl.String, "rows": pl.Int64,
                    "example": pl.String}
        )  # fmt: skip
    return (
        rejected.group_by("kind", "column", "rule")
        .agg(rows=pl.len().cast(pl.Int64), example=pl.col("message").first())
        .sort(["rows", "kind", "rule"], descending=[True, False, False])
    )
