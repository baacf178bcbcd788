"""Allocate: the optimizer's plan and the rule-based baseline, stored per run in ``plan.*``."""

import dagster as dg
import polars as pl

from assets.config import AllocationConfig
from assets.resources import WarehouseResource
from contracts.vocabulary import PlanMethod
from optimizers import allocate
from optimizers.plan.check import audit_plan
from optimizers.types import AllocationResult
from reporting.markdown import markdown_table
from warehouse.plans import load_inputs, write_plan

PLAN_IS_FEASIBLE = "plan_is_feasible"
NOT_WORSE_THAN_BASELINE = "not_worse_than_baseline"
WITHIN_GAP = "within_requested_gap"


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


@dg.asset(
    group_name="allocate",
    kinds={"pulp", "highs", "duckdb"},
    deps=[
        "available_to_promise",
        "staging_orders",
        "staging_nodes",
        "staging_products",
        "staging_rates",
        "staging_lanes",
        "staging_exclusions",
    ],
    description=(
        "Which node fills which order line: the PuLP/HiGHS plan and the rule-based baseline, "
        "kept per run in plan.runs / plan.allocations / plan.backorders / plan.parcels / "
        "plan.explanations (method = optimizer | baseline)."
    ),
    check_specs=[
        dg.AssetCheckSpec(
            PLAN_IS_FEASIBLE,
            asset="allocation_plan",
            blocking=True,
            description="ATP, capacities, exclusions, parcel limit and quantities "
            "hold, rechecked from the inputs.",
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
    """Reads staging, calls ``optimizers.allocate``, stores both plans under the run id."""
    settings = config.to_settings()
    with warehouse.connect() as con:
        inputs = load_inputs(con)
    plan = allocate(inputs, settings)
    baseline = plan.baseline
    assert baseline is not None  # allocate always attaches the rule-based plan
    plans: dict[str, AllocationResult] = {
        PlanMethod.OPTIMIZER: plan,
        PlanMethod.BASELINE: baseline,
    }
    with warehouse.connect() as con:
        write_plan(con, context.run.run_id, settings, plans)
    stats = plan.stats
    if stats.fell_back:
        context.log.warning(f"Solver returned no usable plan: {stats.message}")
    broken = audit_plan(inputs, plan, settings)
    savings = baseline.stats.objective - stats.objective
    units = plan.objective_terms
    yield dg.MaterializeResult(
        metadata={
            "dagster/row_count": plan.allocations.height,
            "lines": inputs.orders.height,
            "status": stats.status,
            "solver": stats.solver,
            "objective": stats.objective,
            "best_bound": stats.best_bound,
            "gap": stats.gap,
            "plan_cost": plan.plan_cost,
            "baseline_objective": baseline.stats.objective,
            "baseline_plan_cost": baseline.plan_cost,
            "savings_vs_baseline": savings,
            "savings_pct": 100 * savings / baseline.stats.objective
            if baseline.stats.objective
            else 0.0,
            "units_allocated": int(units.get("units_allocated", 0)),
            "units_backordered": int(units.get("units_backordered", 0)),
            "allocation_seconds": stats.seconds,
            "fell_back_to_baseline": stats.fell_back,
            "message": stats.message,
            "objective_terms": dg.MetadataValue.md(markdown_table(terms_frame(plans))),
        }
    )
    yield dg.AssetCheckResult(
        check_name=PLAN_IS_FEASIBLE,
        passed=not broken,
        metadata={"violations": dg.MetadataValue.md("\n".join(f"- {b}" for b in broken) or "none")},
    )
    yield dg.AssetCheckResult(
        check_name=NOT_WORSE_THAN_BASELINE,
        passed=stats.objective <= baseline.stats.objective + 1e-6 * max(1.0, abs(savings)),
        metadata={"objective": stats.objective, "baseline_objective": baseline.stats.objective},
    )
    yield dg.AssetCheckResult(
        check_name=WITHIN_GAP,
        passed=stats.gap is not None and stats.gap <= settings.mip_gap + 1e-9,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"gap": stats.gap, "requested_gap": settings.mip_gap, "status": stats.status},
    )
