"""Inputs, settings and results of an allocation: the optimizer's public shapes.

Frames follow ``contracts.tables.STAGING_SCHEMAS``; results are Polars frames with the
columns documented below so the outbox, the KPI report and the marts read one shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import polars as pl


@dataclass(frozen=True)
class AllocationInputs:
    """Validated data for one allocation run (staging shapes; optional kinds may be empty)."""

    orders: pl.DataFrame
    available_to_promise: pl.DataFrame  # node_id, sku, available_to_promise
    nodes: pl.DataFrame
    products: pl.DataFrame
    rates: pl.DataFrame
    lanes: pl.DataFrame
    exclusions: pl.DataFrame

    @classmethod
    def from_frames(
        cls, frames: Mapping[str, pl.DataFrame], available_to_promise: pl.DataFrame
    ) -> AllocationInputs:
        """From frames keyed by contract kind (``stock`` is not needed once ATP is known)."""
        kinds = ("orders", "nodes", "products", "rates", "lanes", "exclusions")
        return cls(available_to_promise=available_to_promise, **{k: frames[k] for k in kinds})


@dataclass(frozen=True)
class AllocationSettings:
    """Run settings; the Dagster run config and ``--config`` map onto these fields."""

    days_weight: float = 0.1
    late_penalty: float = 1.0
    backorder_penalty: float = 1.0
    max_parcels_per_order: int = 3
    solver: str = "highs"  # highs | cbc (PuLP) | highspy (same model, passed directly)
    time_limit_s: float = 60.0
    mip_gap: float = 0.005
    ship_from_store: bool = True
    ship_to_store: bool = True
    pickup_in_store: bool = True  # BOPIS from the pickup store's own stock
    threads: int = 1
    seed: int = 0
    # Candidates per line the model starts from. 0 = automatic: the whole model up to
    # AUTO_PRUNE_CANDIDATES candidates, else column generation from each line's
    # AUTO_PER_LINE cheapest (plus the baseline's); k > 0 = column generation from k; -1 = the
    # whole model always. With column generation the bound is the Lagrangian relaxation's
    # over every candidate.
    candidates_per_line: int = 0


@dataclass(frozen=True)
class SolveStats:
    """What every solve records: who solved it, how well, how long."""

    method: str  # "optimizer" | "baseline"
    solver: str  # highs | cbc | rule-based
    # optimal (within mip_gap) | time_limit (best plan found kept) | feasible (a large run's
    # plan, its gap to the bound above mip_gap) | fallback_baseline (solver
    # gave no usable plan) | empty (nothing to decide) | heuristic (the baseline's own stats)
    status: str
    objective: float
    best_bound: float | None
    gap: float | None
    seconds: float
    build_seconds: float = 0.0
    solve_seconds: float = 0.0
    extract_seconds: float = 0.0
    fell_back: bool = False
    message: str = ""


@dataclass(frozen=True)
class AllocationResult:
    """A plan.

    allocations: order_id, line_no, sku, node_id, quantity, fulfillment_method
        (ship_from_dc | ship_from_store | pickup_in_store | ship_to_store), parcel_id (null for
        pickup_in_store), service_level, destination_node_id (pickup store for ship_to_store),
        parcel_cost (this row's weight share of its parcel), handling_cost,
        expected_delivery_days, late_units, unit_price, unit_cost, channel
    backorders: order_id, line_no, sku, quantity, reason
        (no_stock | no_capacity | not_shippable | excluded | split_limit | uneconomic |
        unknown_sku); a line may have several rows, one per reason
    parcels: parcel_id, order_id, node_id, service_level, destination (customer | pickup node id),
        weight_kg, cost, delivery_days
    explanations: order_id, line_no, node_id, chosen_cost, alternative_node_id,
        alternative_cost, explanation (one sentence for planners), binding (cheapest |
        only_option | stock | capacity | order_capacity | split_limit | consolidation |
        near_optimal | rule_based | a backorder reason), chosen_parcel_cost,
        chosen_handling_cost, chosen_days_cost, chosen_late_cost, backordered
    objective_terms: parcel_cost, handling_cost, days_cost, late_cost, backorder_cost,
        objective, plan_cost, units_allocated, units_backordered, parcels, late_units
    baseline: the rule-based plan of the same run (None for the baseline itself)
    """

    allocations: pl.DataFrame
    backorders: pl.DataFrame
    parcels: pl.DataFrame
    explanations: pl.DataFrame
    stats: SolveStats
    objective_terms: dict[str, float] = field(default_factory=dict)
    baseline: AllocationResult | None = None

    @property
    def plan_cost(self) -> float:
        """Money part of the objective: parcels + handling."""
        return self.objective_terms.get("parcel_cost", 0.0) + self.objective_terms.get(
            "handling_cost", 0.0
        )
