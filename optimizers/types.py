"""Inputs and results of an allocation: the optimizer's public shapes.

Input frames follow ``contracts.tables.STAGING_SCHEMAS``; result frames follow
``contracts.results``, so the outbox, the KPI report and the marts read one shape.
Settings live in ``optimizers.settings``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import polars as pl

# Nodes a line may no longer be filled from (a node that rejected it), and the parcels earlier
# waves already sent per order (they count against max_parcels_per_order).
LINE_EXCLUSION_SCHEMA = pl.Schema(
    {"order_id": pl.String(), "line_no": pl.Int64(), "node_id": pl.String(), "reason": pl.String()}
)
PARCELS_SENT_SCHEMA = pl.Schema({"order_id": pl.String(), "parcels": pl.Int64()})
# Supply a wave may promise, net of commitments: per node x sku x arrival, the whole days from
# the wave to the day it can ship (at least 1: what is not on the shelf never ships today).
SUPPLY_INPUT_SCHEMA = pl.Schema(
    {
        "node_id": pl.String(),
        "sku": pl.String(),
        "wait_days": pl.Int64(),
        "expected_at": pl.Datetime("us", "UTC"),
        "available_to_promise": pl.Int64(),
    }
)
# A node's daily limits (null = none): units and orders it ships, BOPIS orders it prepares.
CAPACITY_COLUMNS = ("ship_capacity_units", "ship_capacity_orders", "pickup_capacity_orders")
# A node's capacities left on a later day (the day supply arriving then ships); a node x day
# absent here has its full daily capacities.
SUPPLY_CAPACITY_SCHEMA = pl.Schema(
    {
        "node_id": pl.String(),
        "wait_days": pl.Int64(),
        "ship_capacity_units": pl.Int64(),
        "ship_capacity_orders": pl.Int64(),
        "pickup_capacity_orders": pl.Int64(),
    }
)


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
    line_exclusions: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema=LINE_EXCLUSION_SCHEMA)
    )
    parcels_sent: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema=PARCELS_SENT_SCHEMA)
    )
    supply: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=SUPPLY_INPUT_SCHEMA))
    supply_capacity: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema=SUPPLY_CAPACITY_SCHEMA)
    )

    @classmethod
    def from_frames(
        cls, frames: Mapping[str, pl.DataFrame], available_to_promise: pl.DataFrame
    ) -> AllocationInputs:
        """From frames keyed by contract kind (``stock`` is not needed once ATP is known)."""
        kinds = ("orders", "nodes", "products", "rates", "lanes", "exclusions")
        return cls(available_to_promise=available_to_promise, **{k: frames[k] for k in kinds})


@dataclass(frozen=True)
class SolveStats:
    """What every solve records: who solved it, how well, how long."""

    method: str  # vocabulary.PlanMethod
    solver: str  # vocabulary.Solver
    status: str  # vocabulary.RunStatus
    objective: float
    best_bound: float | None
    gap: float | None
    seconds: float
    build_seconds: float = 0.0
    solve_seconds: float = 0.0
    extract_seconds: float = 0.0
    fell_back: bool = False
    message: str = ""

    def __post_init__(self) -> None:
        # Vocabulary members become plain strings: stats go to DuckDB, JSON and Dagster.
        for name in ("method", "solver", "status"):
            object.__setattr__(self, name, str(getattr(self, name)))


@dataclass(frozen=True)
class AllocationResult:
    """A plan: its frames (shapes in ``contracts.results``), how it was solved, its objective
    terms (``optimizers.model.objective``: each term, objective, plan_cost, units_allocated,
    units_backordered, parcels, late_units) and, for the optimizer's plan, the rule-based plan
    of the same run (``baseline``)."""

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
