"""Run settings planners tune in the launchpad (and ``omniroute run --config FILE``)."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path
from typing import Literal

import dagster as dg
import yaml
from pydantic import Field

from optimizers.types import AllocationSettings

_DEFAULTS = AllocationSettings()


class AllocationConfig(dg.Config):
    """How the allocation trades money against speed, and which capabilities are on."""

    days_weight: float = Field(
        default=_DEFAULTS.days_weight,
        ge=0,
        description="Cost charged per unit per delivery day: raises the value of fast delivery.",
    )
    late_penalty: float = Field(
        default=_DEFAULTS.late_penalty,
        ge=0,
        description="Cost per unit delivered after the order's promised_days.",
    )
    backorder_penalty: float = Field(
        default=_DEFAULTS.backorder_penalty,
        ge=0,
        description="Backordering a unit costs this times its unit_price (1.0 = lost revenue).",
    )
    max_parcels_per_order: int = Field(
        default=_DEFAULTS.max_parcels_per_order,
        ge=1,
        description="Most parcels one order may be split into (ship-to-store legs count).",
    )
    solver: Literal["highs", "cbc"] = Field(
        default="highs", description="MIP solver: HiGHS (default, via highspy) or CBC."
    )
    time_limit_s: float = Field(
        default=_DEFAULTS.time_limit_s,
        gt=0,
        description="Solver time limit in seconds; on the limit the best plan found is kept.",
    )
    mip_gap: float = Field(
        default=_DEFAULTS.mip_gap,
        ge=0,
        le=1,
        description="Relative optimality gap at which the solver may stop (0.001 = 0.1 %).",
    )
    candidates_per_line: int = Field(
        default=_DEFAULTS.candidates_per_line,
        ge=-1,
        description=(
            "How many candidate nodes per line the model starts from: 0 = automatic (all of "
            "them on runs up to 100,000 candidates; above, column generation from the 2 "
            "cheapest plus the rule-based plan's, adding the ones the LP prices say pay), "
            "k = column generation from the k cheapest, -1 = always the whole model. The "
            "reported bound always covers every candidate."
        ),
    )
    ship_from_store: bool = Field(
        default=_DEFAULTS.ship_from_store,
        description="Let stores with supports_ship ship orders to customers.",
    )
    ship_to_store: bool = Field(
        default=_DEFAULTS.ship_to_store,
        description="Let pickup lines be served by a parcel from another node to the store.",
    )
    pickup_in_store: bool = Field(
        default=_DEFAULTS.pickup_in_store,
        description="BOPIS: let pickup lines be filled from the pickup store's own stock.",
    )

    def to_settings(self) -> AllocationSettings:
        """The optimizer's settings for this run."""
        names = {f.name for f in fields(AllocationSettings)}
        return AllocationSettings(**{k: v for k, v in self.model_dump().items() if k in names})


def load_config_file(path: Path) -> dict[str, object]:
    """Read a YAML or JSON run-config file; unknown fields are an error, not silently ignored."""
    text = path.read_text(encoding="utf-8")
    data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    data = data or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of run settings, got {type(data).__name__}")
    unknown = sorted(set(data) - set(AllocationConfig.model_fields))
    if unknown:
        raise ValueError(
            f"{path}: unknown setting(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(AllocationConfig.model_fields))}"
        )
    AllocationConfig(**data)  # validate ranges and types now, with the file's name in the error
    return data
