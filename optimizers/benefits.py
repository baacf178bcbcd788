"""What a capability is worth: counterfactual re-runs with it on and off, plus BORIS estimates.

Ship-from-store and BOPIS are allocation capabilities, so their value is measured: the same
orders are allocated twice (switch on / switch off) and the gross margins compared. BORIS (buy
online, return in store) does not change the allocation; its value is estimated from the
plan's home-delivered units and the documented ``BenefitAssumptions``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace

import polars as pl

from optimizers.types import AllocationInputs, AllocationResult, AllocationSettings
from reporting import measures

Allocate = Callable[[AllocationInputs, AllocationSettings], AllocationResult]

# capability -> (settings switch, fulfillment method the switch turns off)
SWITCHES = {
    "ship_from_store": ("ship_from_store", "ship_from_store"),
    "bopis": ("pickup_in_store", "pickup_in_store"),
}
HOME_DELIVERY = ("ship_from_dc", "ship_from_store")
PICKUP = ("pickup_in_store", "ship_to_store")

BENEFIT_SCHEMA: dict[str, pl.DataType] = {
    "capability": pl.String(),
    "method": pl.String(),  # counterfactual | assumptions
    "objective_with": pl.Float64(),
    "objective_without": pl.Float64(),
    "plan_cost_with": pl.Float64(),
    "plan_cost_without": pl.Float64(),
    "gross_margin_with": pl.Float64(),
    "gross_margin_without": pl.Float64(),
    "units_filled_with": pl.Int64(),
    "units_filled_without": pl.Int64(),
    "units_filled_delta": pl.Int64(),
    "plan_margin_delta": pl.Float64(),  # measured: gross_margin_with − gross_margin_without
    "extra_margin": pl.Float64(),  # estimated from the assumptions (attach sales, returns)
    "incremental_gross_margin": pl.Float64(),
    "status_with": pl.String(),
    "status_without": pl.String(),
    "assumptions": pl.String(),  # JSON of the BenefitAssumptions used
}


@dataclass(frozen=True)
class BenefitAssumptions:
    """Business assumptions behind the benefit estimates; analysts change these, not code.

    Rates are fractions in [0, 1]; money is per unit or per visit in the rate card's currency.
    """

    adoption: float = 1.0
    """Share of the measured ship-from-store/BOPIS effect realised in practice (the re-runs
    assume every store and every eligible order takes part)."""
    pickup_attach_rate: float = 0.25
    """Share of pickup visits (BOPIS or ship-to-store) where the customer buys more in store."""
    attach_margin: float = 8.0
    """Gross margin of that extra in-store purchase, per visit that buys."""
    return_rate: float = 0.15
    """Share of home-delivered units that come back."""
    boris_adoption: float = 0.4
    """Share of those returns brought to a store when BORIS is offered."""
    return_shipping_cost_per_unit: float = 6.5
    """Carrier cost of a mailed return, saved for every unit returned in store."""
    store_return_cost_per_unit: float = 1.5
    """Store labour and restocking for a unit returned in store."""
    boris_attach_rate: float = 0.2
    """Share of store returns where the customer buys something (margin ``attach_margin``)."""

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if value < 0 or (f.name.endswith(("rate", "adoption")) and value > 1):
                raise ValueError(f"{f.name}={value} is out of range")

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def _default_allocate() -> Allocate:
    import optimizers  # late: this module must import without the model being built

    return optimizers.allocate  # type: ignore[attr-defined]


def _units(result: AllocationResult, methods: tuple[str, ...]) -> int:
    rows = result.allocations.filter(pl.col("fulfillment_method").is_in(methods))
    return int(rows["quantity"].sum()) if rows.height else 0


def _pickup_visits(result: AllocationResult) -> int:
    """Orders a customer comes to a store for (own-store pickup or a ship-to-store parcel)."""
    rows = result.allocations.filter(pl.col("fulfillment_method").is_in(PICKUP))
    return rows["order_id"].n_unique()


def _check_honoured(result: AllocationResult, capability: str, method: str) -> None:
    """A counterfactual is only worth something if the optimizer obeyed the switch."""
    used = _units(result, (method,))
    if used:
        raise RuntimeError(
            f"{capability} switched off, but the plan still has {used} {method} units: "
            "the optimizer ignores the setting"
        )


def _row(
    capability: str,
    method: str,
    inputs: AllocationInputs,
    with_: AllocationResult,
    without: AllocationResult,
    extra: float,
    measured_share: float,
    assumptions: BenefitAssumptions,
) -> dict[str, object]:
    margin_with = measures.gross_margin(inputs.orders, inputs.products, with_).gross_margin
    margin_without = measures.gross_margin(inputs.orders, inputs.products, without).gross_margin
    filled_with, filled_without = measures.units_allocated(with_), measures.units_allocated(without)
    delta = margin_with - margin_without
    return {
        "capability": capability,
        "method": method,
        "objective_with": measures.objective_of(with_),
        "objective_without": measures.objective_of(without),
        "plan_cost_with": measures.plan_cost_of(with_),
        "plan_cost_without": measures.plan_cost_of(without),
        "gross_margin_with": margin_with,
        "gross_margin_without": margin_without,
        "units_filled_with": filled_with,
        "units_filled_without": filled_without,
        "units_filled_delta": filled_with - filled_without,
        "plan_margin_delta": delta,
        "extra_margin": extra,
        "incremental_gross_margin": measured_share * delta + extra,
        "status_with": with_.stats.status,
        "status_without": without.stats.status,
        "assumptions": assumptions.to_json(),
    }


def boris_extra_margin(plan: AllocationResult, assumptions: BenefitAssumptions) -> float:
    """Returns of home-delivered units brought to a store: shipping saved, handling paid,
    plus the margin of what those customers buy while there."""
    store_returns = (
        _units(plan, HOME_DELIVERY) * assumptions.return_rate * assumptions.boris_adoption
    )
    per_return = (
        assumptions.return_shipping_cost_per_unit
        - assumptions.store_return_cost_per_unit
        + assumptions.boris_attach_rate * assumptions.attach_margin
    )
    return store_returns * per_return


def benefit_scenarios(
    inputs: AllocationInputs,
    settings: AllocationSettings,
    assumptions: BenefitAssumptions | None = None,
    allocate: Allocate | None = None,
    reference: AllocationResult | None = None,
) -> pl.DataFrame:
    """One row per capability (ship_from_store, bopis, boris), with vs without.

    ``reference`` is the plan already computed for ``settings`` (saves one solve). The "with"
    run turns the capability on, the "without" run off, everything else as in ``settings``;
    with BOPIS off, pickup lines can only be served by ship-to-store or be backordered.
    Incremental gross margin = adoption × (margin with − margin without) + the pickup-visit
    attach margin gained; for BORIS the estimate of ``boris_extra_margin``.
    """
    assumptions = assumptions or BenefitAssumptions()
    solve = allocate or _default_allocate()
    plans: dict[AllocationSettings, AllocationResult] = {}
    if reference is not None:
        plans[settings] = reference

    def plan(run: AllocationSettings) -> AllocationResult:
        if run not in plans:
            plans[run] = solve(inputs, run)
        return plans[run]

    rows = []
    for capability, (switch, method) in SWITCHES.items():
        with_ = plan(replace(settings, **{switch: True}))
        without = plan(replace(settings, **{switch: False}))
        _check_honoured(without, capability, method)
        visits = _pickup_visits(with_) - _pickup_visits(without)
        extra = (
            assumptions.adoption
            * visits
            * assumptions.pickup_attach_rate
            * (assumptions.attach_margin)
        )
        rows.append(
            _row(capability, "counterfactual", inputs, with_, without, extra,
                 assumptions.adoption, assumptions)
        )  # fmt: skip
    base = plan(settings)
    rows.append(
        _row("boris", "assumptions", inputs, base, base, boris_extra_margin(base, assumptions),
             0.0, assumptions)
    )  # fmt: skip
    return pl.DataFrame(rows, schema=BENEFIT_SCHEMA)
