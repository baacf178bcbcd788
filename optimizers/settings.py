"""The run settings of an allocation, declared once.

The Dagster launchpad (``assets.config.AllocationConfig`` derives from this class), the
``--config`` file of the command line, the benefit scenarios and the tests all build this one
class, so a field, its default, its range and its description exist in exactly one place.
A pydantic model: values are checked when a settings object is made, frozen afterwards, and
hashable (the benefit scenarios key their plans by settings).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from contracts.vocabulary import Solver, values

SOLVERS = values(Solver.HIGHS, Solver.CBC, Solver.HIGHSPY)


class AllocationSettings(BaseModel):
    """How the allocation trades money against speed, and which capabilities are on."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    days_weight: float = Field(
        default=0.1,
        ge=0,
        le=1e6,
        description="Cost charged per unit per delivery day: raises the value of fast delivery.",
    )
    late_penalty: float = Field(
        default=1.0,
        ge=0,
        le=1e6,
        description="Cost per unit delivered after the order's promised_days.",
    )
    backorder_penalty: float = Field(
        default=1.0,
        ge=0,
        le=1000,
        description="Backordering a unit costs this times its unit_price (1.0 = lost revenue).",
    )
    max_parcels_per_order: int = Field(
        default=3,
        ge=1,
        description="Most parcels one order may be split into (ship-to-store legs count).",
    )
    solver: Literal["highs", "cbc", "highspy"] = Field(
        default="highs",
        description="MIP solver of the whole model: highs (HiGHS through PuLP; large models "
        "go to highspy directly), cbc (CBC through PuLP; implies method whole_model) or "
        "highspy (HiGHS through highspy, always). The patterns use highspy.",
    )
    time_limit_s: float = Field(
        default=120.0,
        gt=0,
        description="A safety net, in seconds: the solve stops on work done (pricing rounds, "
        "search and MIP nodes), so the same inputs give the same plan; only an unusually "
        "hard run reaches this limit, and then the best plan found is kept.",
    )
    mip_gap: float = Field(
        default=0.005,
        ge=0,
        le=1,
        description="Relative optimality gap at which the solver may stop (0.005 = 0.5 %).",
    )
    method: Literal["patterns", "whole_model"] = Field(
        default="patterns",
        description=(
            "patterns (default): column generation over per-order fulfillment patterns, "
            "priced exactly over every candidate, then an integer step and local search; on "
            "runs up to 20,000 candidates whose gap is still above mip_gap, the whole model's "
            "MIP continues from that plan and bound. whole_model: one MIP over every "
            "candidate from the start (reference solves; slow on large runs). The reported "
            "bound always covers every candidate."
        ),
    )
    ship_from_store: bool = Field(
        default=True, description="Let stores with supports_ship ship orders to customers."
    )
    ship_to_store: bool = Field(
        default=True,
        description="Let pickup lines be served by a parcel from another node to the store.",
    )
    pickup_in_store: bool = Field(
        default=True,
        description="BOPIS: let pickup lines be filled from the pickup store's own stock.",
    )
    supply_horizon_days: int = Field(
        default=7,
        ge=0,
        le=365,
        description="Lines may be filled from supply (transfers in transit, purchase orders) "
        "due within this many days of the wave; 0 = on-hand stock only. Waiting days count "
        "as delivery days.",
    )
    business_timezone: str = Field(
        default="UTC",
        description="IANA time zone of the business day (for example Europe/Berlin): "
        "capacities are per day in this zone, shared by the day's waves.",
    )
    threads: int = Field(default=1, ge=1, description="Solver threads.")
    seed: int = Field(default=0, ge=0, description="Solver random seed (same seed, same plan).")

    @field_validator("solver", mode="before")
    @classmethod
    def _known_solver(cls, value: object) -> object:
        if value not in SOLVERS:
            raise ValueError(f"solver must be one of {SOLVERS}, not {value!r}")
        return value

    @field_validator("business_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"business_timezone {value!r} is not an IANA time zone") from error
        return value

    def business_day(self, at: datetime) -> date:
        """The business day ``at`` falls on, in ``business_timezone``."""
        return at.astimezone(ZoneInfo(self.business_timezone)).date()

    def with_(self, **changes: Any) -> AllocationSettings:
        """A copy with some fields changed (derived values such as a remaining time limit;
        settings from people are checked when they are made, not here)."""
        return self.model_copy(update=changes)
