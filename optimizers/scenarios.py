"""Counterfactual plans: the same orders allocated with a capability switched on and off.

Ship-from-store and BOPIS are allocation capabilities, so what they are worth is measured by
re-running the optimizer with the switch on and off; ``reporting.benefits`` turns the plans
into margins and estimates. A plan of the settings already solved (the wave's own) is reused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from contracts.vocabulary import Mode
from optimizers.settings import AllocationSettings
from optimizers.types import AllocationInputs, AllocationResult

Allocate = Callable[[AllocationInputs, AllocationSettings], AllocationResult]

# capability -> (settings switch, fulfillment mode the switch turns off)
SWITCHES: dict[str, tuple[str, str]] = {
    "ship_from_store": ("ship_from_store", Mode.SHIP_FROM_STORE),
    "bopis": ("pickup_in_store", Mode.PICKUP_IN_STORE),
}


@dataclass(frozen=True)
class Counterfactual:
    """A capability's plans with and without it."""

    capability: str
    mode: str
    with_: AllocationResult
    without: AllocationResult


def _units(result: AllocationResult, mode: str) -> int:
    rows = result.allocations.filter(pl.col("fulfillment_method") == mode)
    return int(rows["quantity"].sum()) if rows.height else 0


def counterfactuals(
    inputs: AllocationInputs,
    settings: AllocationSettings,
    allocate: Allocate,
    reference: AllocationResult | None = None,
) -> tuple[list[Counterfactual], AllocationResult]:
    """Plans with and without each capability (everything else as in ``settings``), and the
    plan of ``settings`` itself. ``reference`` is that plan when already solved.

    Raises RuntimeError when a plan with a capability off still uses it (a counterfactual is
    only worth something if the optimizer obeyed the switch)."""
    plans: dict[AllocationSettings, AllocationResult] = {}
    if reference is not None:
        plans[settings] = reference

    def plan(run: AllocationSettings) -> AllocationResult:
        if run not in plans:
            plans[run] = allocate(inputs, run)
        return plans[run]

    found = []
    for capability, (switch, mode) in SWITCHES.items():
        with_ = plan(settings.with_(**{switch: True}))
        without = plan(settings.with_(**{switch: False}))
        used = _units(without, mode)
        if used:
            raise RuntimeError(
                f"{capability} switched off, but the plan still has {used} {mode} units: "
                "the optimizer ignores the setting"
            )
        found.append(Counterfactual(capability, mode, with_, without))
    return found, plan(settings)
