"""What a capability is worth: margins of the counterfactual plans, plus BORIS estimates.

Ship-from-store and BOPIS are measured: ``optimizers.scenarios`` allocates the same orders
with the switch on and off and the gross margins are compared here. BORIS (buy online, return
in store) does not change the allocation; its value is estimated from the plan's
home-delivered units with the business's own return figures (``reporting.returns``) where
there are enough returns, else the documented ``BenefitAssumptions``; the mart says which.

A unit a plan backorders as ``awaiting_supply`` is a sale delayed, not lost: its revenue − COGS
is credited to that plan (``deferred_margin_*``), so a capability that fills it now gains only
the cost difference, never its margin. The later fill's cost is not planned yet and counts as
0, so on such units the capability shows the cost of filling now (a conservative estimate).
"""

from __future__ import annotations

import json

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts.vocabulary import HOME_DELIVERY_MODES, PICKUP_MODES, BackorderReason
from optimizers.allocate import allocate as allocate_plan
from optimizers.scenarios import Allocate, counterfactuals
from optimizers.settings import AllocationSettings
from optimizers.types import AllocationInputs, AllocationResult
from reporting import measures
from reporting.returns import FIGURES, ReturnFigures, return_figures

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
        "deferred_margin_with": pl.Float64(),  # revenue − COGS of its awaiting_supply units
        "deferred_margin_without": pl.Float64(),
        "units_filled_with": pl.Int64(),
        "units_filled_without": pl.Int64(),
        "units_filled_delta": pl.Int64(),
        # measured: (gross_margin + deferred_margin) with − without
        "plan_margin_delta": pl.Float64(),
        "extra_margin": pl.Float64(),  # estimated: attach sales; BORIS (returns data or assumed)
        "incremental_gross_margin": pl.Float64(),
        "status_with": pl.String(),
        "status_without": pl.String(),
        # BORIS row only (null on the counterfactual rows, which use none of them): each figure
        # and its source, 'data' (the business's returns) or 'assumption' (BenefitAssumptions)
        "return_rate": pl.Float64(),
        "return_rate_source": pl.String(),
        "in_store_share": pl.Float64(),
        "in_store_share_source": pl.String(),
        "resale_rate": pl.Float64(),
        "resale_rate_source": pl.String(),
        "returned_units": pl.Int64(),  # the sample behind the 'data' figures
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
    return_rate: float = Field(
        0.15,
        description="Share of home-delivered units that come back (used while there are too "
        "few returns to measure it).",
    )
    boris_adoption: float = Field(
        0.4,
        description="Share of those returns brought to a store when BORIS is offered (used "
        "while there are too few returns to measure the in-store share).",
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
    resale_rate: float = Field(
        0.7,
        description="Share of returned units that can be sold again (used while there are too "
        "few returns to measure it).",
    )
    resale_value_per_unit: float = Field(
        0.0,
        description="Value of a resellable unit returned in store going back on that store's "
        "shelf at once (no trip to a DC, sold sooner); 0 leaves resale out of BORIS.",
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

    def assumed_return_figures(self) -> dict[str, float]:
        """The fallbacks of ``reporting.returns.FIGURES``."""
        return {
            "return_rate": self.return_rate,
            "in_store_share": self.boris_adoption,
            "resale_rate": self.resale_rate,
        }


def _units(result: AllocationResult, modes: tuple[str, ...]) -> int:
    rows = result.allocations.filter(pl.col("fulfillment_method").is_in(modes))
    return int(rows["quantity"].sum()) if rows.height else 0


def _pickup_visits(result: AllocationResult) -> int:
    """Orders a customer comes to a store for (own-store pickup or a ship-to-store parcel)."""
    rows = result.allocations.filter(pl.col("fulfillment_method").is_in(PICKUP_MODES))
    return rows["order_id"].n_unique()


def deferred_margin(
    orders: pl.DataFrame, products: pl.DataFrame, result: AllocationResult
) -> float:
    """Revenue − COGS of the units the plan backorders as awaiting_supply: supply due after the
    horizon fills them later, so the sale is delayed, not lost."""
    priced = (
        result.backorders.filter(pl.col("reason") == BackorderReason.AWAITING_SUPPLY.value)
        .select(*measures.LINE, "sku", "quantity")
        .join(orders.select(*measures.LINE, "unit_price"), on=measures.LINE, how="left")
        .join(products.select("sku", "unit_cost"), on="sku", how="left")
    )
    unit_margin = pl.col("unit_price").fill_null(0.0) - pl.col("unit_cost").fill_null(0.0)
    return float(priced.select((pl.col("quantity") * unit_margin).sum()).item())


def _figure_columns(figures: ReturnFigures | None) -> dict[str, object]:
    """The BORIS figures and their sources as mart columns (all null without figures)."""
    columns: dict[str, object] = {"returned_units": None}
    for name in FIGURES:
        columns |= {name: None, f"{name}_source": None}
    if figures is None:
        return columns
    for name, figure in figures.by_name().items():
        columns |= {name: figure.value, f"{name}_source": figure.source}
    return columns | {"returned_units": figures.returned_units}


def _row(
    capability: str,
    method: str,
    inputs: AllocationInputs,
    with_: AllocationResult,
    without: AllocationResult,
    extra: float,
    measured_share: float,
    assumptions: BenefitAssumptions,
    figures: ReturnFigures | None = None,
) -> dict[str, object]:
    margin_with = measures.gross_margin(inputs.orders, inputs.products, with_).gross_margin
    margin_without = measures.gross_margin(inputs.orders, inputs.products, without).gross_margin
    deferred_with = deferred_margin(inputs.orders, inputs.products, with_)
    deferred_without = deferred_margin(inputs.orders, inputs.products, without)
    filled_with, filled_without = measures.units_allocated(with_), measures.units_allocated(without)
    delta = (margin_with + deferred_with) - (margin_without + deferred_without)
    return {
        "capability": capability,
        "method": method,
        "objective_with": measures.objective_of(with_),
        "objective_without": measures.objective_of(without),
        "plan_cost_with": measures.plan_cost_of(with_),
        "plan_cost_without": measures.plan_cost_of(without),
        "gross_margin_with": margin_with,
        "gross_margin_without": margin_without,
        "deferred_margin_with": deferred_with,
        "deferred_margin_without": deferred_without,
        "units_filled_with": filled_with,
        "units_filled_without": filled_without,
        "units_filled_delta": filled_with - filled_without,
        "plan_margin_delta": delta,
        "extra_margin": extra,
        "incremental_gross_margin": measured_share * delta + extra,
        "status_with": with_.stats.status,
        "status_without": without.stats.status,
        **_figure_columns(figures),
        "assumptions": assumptions.to_json(),
    }


def boris_figures(
    assumptions: BenefitAssumptions, returns: pl.DataFrame | None, orders: pl.DataFrame
) -> ReturnFigures:
    """Return rate, in-store share and resale rate: from ``returns`` (over ``orders``) when
    there are enough, else the assumptions."""
    return return_figures(returns, orders, assumptions.assumed_return_figures())


def boris_extra_margin(
    plan: AllocationResult,
    assumptions: BenefitAssumptions,
    figures: ReturnFigures | None = None,
) -> float:
    """Returns of home-delivered units brought to a store: shipping saved, handling paid, the
    margin of what those customers buy while there, and the resale value of a resellable unit
    back on the store's shelf. ``figures`` default to the assumptions."""
    figures = figures or boris_figures(assumptions, None, pl.DataFrame())
    store_returns = (
        _units(plan, HOME_DELIVERY_MODES) * figures.return_rate.value * figures.in_store_share.value
    )
    per_return = (
        assumptions.return_shipping_cost_per_unit
        - assumptions.store_return_cost_per_unit
        + assumptions.boris_attach_rate * assumptions.attach_margin
        + figures.resale_rate.value * assumptions.resale_value_per_unit
    )
    return store_returns * per_return


def benefit_scenarios(
    inputs: AllocationInputs,
    settings: AllocationSettings,
    assumptions: BenefitAssumptions | None = None,
    allocate: Allocate | None = None,
    reference: AllocationResult | None = None,
    returns: pl.DataFrame | None = None,
    order_history: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """One row per capability (ship_from_store, bopis, boris), with vs without.

    ``reference`` is the plan already computed for ``settings`` (saves one solve). The "with"
    run turns the capability on, the "without" run off, everything else as in ``settings``;
    with BOPIS off, pickup lines can only be served by ship-to-store or be backordered.
    Incremental gross margin = adoption × (margin with − margin without) + the pickup-visit
    attach margin gained; for BORIS the estimate of ``boris_extra_margin`` with the return
    figures of ``returns`` (staging shape) where there are enough. ``order_history`` is every
    staged order the returns may refer to (default: the wave's ``inputs.orders``).
    """
    assumptions = assumptions or BenefitAssumptions()
    figures = boris_figures(
        assumptions, returns, inputs.orders if order_history is None else order_history
    )
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
            boris_extra_margin(base, assumptions, figures),
            0.0,
            assumptions,
            figures,
        )
    )
    return pl.DataFrame(rows, schema=BENEFIT_SCHEMA)


def return_figure_table(benefits: pl.DataFrame, assumptions: BenefitAssumptions) -> pl.DataFrame:
    """Per BORIS figure: the value used, its source and the assumption it replaces or is."""
    boris = benefits.filter(pl.col("capability") == "boris")
    assumed = assumptions.assumed_return_figures()
    return pl.concat(
        [
            boris.select(
                figure=pl.lit(name),
                value=pl.col(name),
                source=pl.col(f"{name}_source"),
                assumption=pl.lit(assumed[name], pl.Float64),
                returned_units=pl.col("returned_units"),
            )
            for name in FIGURES
        ]
    )
