"""The wave: partner feedback applied to the order book, open units planned, all published at
once (or stored as a scenario by a dry run)."""

from typing import Any

import dagster as dg
import polars as pl

from assets.config import AllocationConfig
from assets.metadata import money, percent, seconds, table
from assets.resources import WarehouseResource
from contracts.vocabulary import PlanMethod, RunKind
from optimizers.plan.check import audit_plan
from optimizers.settings import AllocationSettings
from optimizers.types import AllocationResult
from orderbook.run import Intake, Wave, run_wave
from orderbook.state import identity_breaks
from warehouse.book import (
    PlanRows,
    Publication,
    load_book,
    load_staged,
    publish_wave,
    rejected_rows,
    store_scenario,
    unacknowledged_files,
)
from warehouse.ingest import duplicate_row_numbers

PLAN_IS_FEASIBLE = "plan_is_feasible"
NOT_WORSE_THAN_BASELINE = "not_worse_than_baseline"
WITHIN_GAP = "within_requested_gap"
LINE_IDENTITY = "line_identity_holds"


def terms_frame(plans: dict[str, AllocationResult]) -> pl.DataFrame:
    """Objective terms side by side: one row per term, one column per method."""
    names = list(next(iter(plans.values())).objective_terms)
    return pl.DataFrame(
        {"term": names}
        | {
            method: [float(p.objective_terms.get(n, 0.0)) for n in names]
            for method, p in plans.items()
        }
    )


def _metadata(wave: Wave, kind: str, settings: AllocationSettings) -> dict[str, Any]:
    """Headline first: fill, gap against the requested gap, savings; then the wave's flow."""
    plan, baseline = wave.plan, wave.plan.baseline
    assert baseline is not None  # allocate always attaches the rule-based plan
    stats = plan.stats
    savings = baseline.stats.objective - stats.objective
    figures = wave.figures()
    allocated = int(plan.objective_terms.get("units_allocated", 0))
    backordered = int(plan.objective_terms.get("units_backordered", 0))
    planned = allocated + backordered
    return {
        "dagster/row_count": plan.allocations.height,
        "fill_rate_units_pct": percent(allocated / planned if planned else None),
        "gap_pct": percent(stats.gap, 3),
        "requested_gap_pct": percent(settings.mip_gap, 3),
        "savings_vs_baseline": money(savings),
        "savings_pct": percent(savings / baseline.stats.objective)
        if baseline.stats.objective
        else None,
        "units_allocated": allocated,
        "units_backordered": backordered,
        "baseline_units_allocated": int(baseline.objective_terms.get("units_allocated", 0)),
        "objective": money(stats.objective),
        "best_bound": money(stats.best_bound),
        "plan_cost": money(plan.plan_cost),
        "baseline_objective": money(baseline.stats.objective),
        "baseline_plan_cost": money(baseline.plan_cost),
        "kind": kind,
        "status": stats.status,
        "solver": stats.solver,
        "allocation_seconds": seconds(stats.seconds),
        "fell_back_to_baseline": stats.fell_back,
        "lines_planned": wave.inputs.inputs.orders.height,
        **{k: v for k, v in figures.items() if k != "feedback"},
        **{f"feedback_{k}": v for k, v in figures["feedback"].items()},
        "message": stats.message,
        "objective_terms": table(terms_frame({"optimizer": plan, "baseline": baseline})),
    }


@dg.asset(
    group_name="allocate",
    kinds={"pulp", "highs", "duckdb"},
    deps=[
        "available_to_promise",
        *(
            f"staging_{k}"
            for k in (
                "orders",
                "nodes",
                "products",
                "rates",
                "lanes",
                "exclusions",
                "stock",
                "supply",
                "shipments",
                "rejections",
                "cancellations",
            )
        ),
    ],  # fmt: skip
    description=(
        "One wave: this wave's shipments, rejections, new and amended lines and cancellations "
        "applied to the order book, the open units planned against ATP and capacity net of "
        "every published commitment, and the plan, line states, events and acknowledgements "
        "published in one transaction (plan.runs kind = wave), or stored as a scenario by a "
        "dry run (publish: false)."
    ),
    check_specs=[
        dg.AssetCheckSpec(
            LINE_IDENTITY,
            asset="allocation_plan",
            blocking=True,
            description="Every line: ordered = cancelled + shipped + instructed_open + open, "
            "and its instructed and shipped units agree with its commitments.",
        ),
        dg.AssetCheckSpec(
            PLAN_IS_FEASIBLE,
            asset="allocation_plan",
            blocking=True,
            description="ATP, capacities, exclusions, parcel limit and quantities "
            "hold, rechecked from the wave's net inputs.",
        ),
        dg.AssetCheckSpec(
            NOT_WORSE_THAN_BASELINE,
            asset="allocation_plan",
            description="The plan's objective is at or below the baseline's.",
        ),
        dg.AssetCheckSpec(
            WITHIN_GAP,
            asset="allocation_plan",
            description="The solver proved the plan within the requested gap "
            "(warns when the time limit stopped it first).",
        ),
    ],
)
def allocation_plan(
    context: dg.AssetExecutionContext, config: AllocationConfig, warehouse: WarehouseResource
):
    """Reads the book and staging, calls ``orderbook.run.run_wave``, publishes."""
    settings, at, run_id = config.to_settings(), config.planned_at(), context.run.run_id
    with warehouse.connect() as con:
        book, staged = load_book(con), load_staged(con)
        files = unacknowledged_files(con)
        shas = files["sha256"].to_list()
        intake = Intake(files, rejected_rows(con, shas), duplicate_row_numbers(con, shas))
    wave = run_wave(book, staged, intake, settings, run_id, at)
    baseline = wave.plan.baseline
    assert baseline is not None
    plans = PlanRows(
        {PlanMethod.OPTIMIZER: wave.plan, PlanMethod.BASELINE: baseline},
        settings,
        at,
        wave.figures(),
    )
    kind = (RunKind.WAVE if config.publish else RunKind.SCENARIO).value
    with warehouse.connect() as con:
        if config.publish:
            publish_wave(con, _publication(wave, book), plans)
        else:
            store_scenario(con, run_id, wave.inputs.inventory, wave.inputs.inputs, plans)
    if wave.plan.stats.fell_back:
        context.log.warning(f"Solver returned no usable plan: {wave.plan.stats.message}")
    yield dg.MaterializeResult(
        metadata={**_metadata(wave, kind, settings), "preset": config.preset}
    )
    yield from _checks(wave, settings)


def _publication(wave: Wave, book_before) -> Publication:
    return Publication(
        run_id=wave.run_id,
        book_before=book_before,
        book_after=wave.book,
        events=wave.events,
        feedback=wave.taken.feedback,
        instructions=wave.instructions,
        inventory=wave.inputs.inventory,
        inputs=wave.inputs.inputs,
        intake=wave.acknowledgements,
        intake_files=wave.intake_summary,
    )


def _pct(share: float | None) -> str:
    return "no proven bound" if share is None else f"{100 * share:.3f} %"


def _checks(wave: Wave, settings: AllocationSettings):
    plan, baseline = wave.plan, wave.plan.baseline
    assert baseline is not None
    broken_lines = identity_breaks(wave.book)
    yield dg.AssetCheckResult(
        check_name=LINE_IDENTITY,
        passed=broken_lines.is_empty(),
        metadata={
            "lines": wave.book.lines.height,
            "broken": table(broken_lines),
        },
    )
    broken = audit_plan(wave.inputs.inputs, plan, settings)
    yield dg.AssetCheckResult(
        check_name=PLAN_IS_FEASIBLE,
        passed=not broken,
        metadata={"violations": dg.MetadataValue.md("\n".join(f"- {b}" for b in broken) or "none")},
    )
    stats, savings = plan.stats, baseline.stats.objective - plan.stats.objective
    yield dg.AssetCheckResult(
        check_name=NOT_WORSE_THAN_BASELINE,
        passed=stats.objective <= baseline.stats.objective + 1e-6 * max(1.0, abs(savings)),
        metadata={
            "objective": money(stats.objective),
            "baseline_objective": money(baseline.stats.objective),
        },
    )
    yield dg.AssetCheckResult(
        check_name=WITHIN_GAP,
        passed=stats.gap is not None and stats.gap <= settings.mip_gap + 1e-9,
        severity=dg.AssetCheckSeverity.WARN,
        description=None
        if stats.gap is not None and stats.gap <= settings.mip_gap + 1e-9
        else f"Stopped at a gap of {_pct(stats.gap)} against the {_pct(settings.mip_gap)} "
        "requested: the plan is feasible and checked; raise time_limit_s to get closer.",
        metadata={
            "gap_pct": percent(stats.gap, 3),
            "requested_gap_pct": percent(settings.mip_gap, 3),
            "status": stats.status,
        },
    )
