"""What a capability is worth: margins of the counterfactual plans, plus BORIS estimates.

Ship-from-store and BOPIS are measured: ``optimizers.scenarios`` allocates the same orders
with the switch on and off and the gross margins are compared here. BORIS (buy online, return
in store) does not change the allocation; its value is estimated from the plan's
home-delivered units and the documented ``BenefitAssumptions``.
"""

from __future__ import annotations

import json

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts.vocabulary import HOME_DELIVERY_MODES, PICKUP_MODES
from optimizers.allocate import allocate as allocate_plan
from optimizers.scenarios import Allocate, counterfactuals
from optimizers.settings import AllocationSettings
from optimizers.types import AllocationInputs, AllocationResult
from reporting import measures

BENEFIT_SCHEMA = pl.Schema(
    {
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
)


class BenefitAssumptions(BaseModel):
    """Business assumptions behind the benefit estimates; analysts change these, not code.

    Rates are fractions in [0, 1]; money is per unit or per visit in the rate card's currency.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    adoption: float = Field(
        1.0,
        description="Share of the measured ship-from-store/BOPIS effect realised in practice "
        "(the re-runs assume every store and every eligible order takes part).",
    )
    pickup_attach_rate: float = Field(
        0.25,
        description="Share of pickup visits (BOPIS or ship-to-store) where the customer buys "
        "more in store.",
    )
    attach_margin: float = Field(
        8.0, description="Gross margin of that extra in-store purchase, per visit that buys."
    )
    return_rate: float = Field(0.15, description="Share of home-delivered units that come back.")
    boris_adoption: float = Field(
        0.4, description="Share of those returns brought to a store when BORIS is offered."
    )
    return_shipping_cost_per_unit: float = Field(
        6.5, description="Carrier cost of a mailed return, saved for every unit returned in store."
    )
    store_return_cost_per_unit: float = Field(
        1.5, description="Store labour and restocking for a unit returned in store."
    )
    boris_attach_rate: float = Field(
        0.2,
        description="Share of store returns where the customer buys something (margin "
        "attach_margin).",
    )

    @model_validator(mode="after")
    def _in_range(self) -> BenefitAssumptions:
        for name in BenefitAssumptions.model_fields:
            value = getattr(self, name)
            if value < 0 or (name.endswith(("rate", "adoption")) and value > 1):
                raise ValueError(f"{name}={value} is out of range")
        return self

    def to_json(self) -> str:
        return json.dumps(self.assumption_values(), sort_keys=True)

    def assumption_values(self) -> dict[str, float]:
        """The assumptions alone (a subclass may carry more fields)."""
        return {name: getattr(self, name) for name in BenefitAssumptions.model_fields}


def _units(result: AllocationResult, modes: tuple[str, ...]) -> int:
    rows = result.allocations.filter(pl.col("fulfillment_method").is_in(modes))
    return int(rows["quantity"].sum()) if rows.height else 0


def _pickup_visits(result: AllocationResult) -> int:
    """Orders a customer comes to a store for (own-store pickup or a ship-to-store parcel)."""
    rows = result.allocations.filter(pl.col("fulfillment_method").is_in(PICKUP_MODES))
    return rows["order_id"].n_unique()


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
        _units(plan, HOME_DELIVERY_MODES) * assumptions.return_rate * assumptions.boris_adoption
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
    found, base = counterfactuals(inputs, settings, allocate or allocate_plan, reference)
    rows = []
    for cf in found:
        visits = _pickup_visits(cf.with_) - _pickup_visits(cf.without)
        extra = (
            assumptions.adoption
            * visits
            * assumptions.pickup_attach_rate
            * (assumptions.attach_margin)
        )
        rows.append(
            _row(
                cf.capability,
                "counterfactual",
                inputs,
                cf.with_,
                cf.without,
                extra,
                assumptions.adoption,
                assumptions,
            )
        )
    rows.append(
        _row(
            "boris",
            "assumptions",
            inputs,
            base,
            base,
            boris_extra_margin(base, assumptions),
            0.0,
            assumptions,
        )
    )
    return pl.DataFrame(rows, schema=BENEFIT_SCHEMA)
