"""The business's own return figures, from its returns files, for the BORIS estimate.

Three figures, each over units of home-delivery lines (orders' ``fulfillment_method`` 'ship':
BORIS moves the return of a parcel to a store, pickup lines are in a store already):

- ``return_rate``: returned units / units ordered on those lines. The denominator is the
  lines ordered no later than the newest return (later orders could not have come back within
  the data), plus every line that was returned. Ordered rather than shipped units: every
  partner sends orders, not every one sends shipments, and a cancelled unit rarely matters at
  this precision. Returns files should cover the same period as the orders, or the rate is low.
- ``in_store_share``: share of returned units with ``return_channel`` 'in_store' (observed BORIS
  adoption).
- ``resale_rate``: share of returned units flagged ``resellable``.

Returns of lines that are not home-delivery lines of a known order are left out. Below
``MIN_RETURNED_UNITS`` returned units a figure is too noisy to trust and the documented
assumption is used instead; every figure says which (``source``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import polars as pl

from contracts.vocabulary import OrderMethod

LINE = ["order_id", "line_no"]
FIGURES: tuple[str, ...] = ("return_rate", "in_store_share", "resale_rate")
# Fewer returned units than this and a share moves by > 3 points per unit: use the assumption.
MIN_RETURNED_UNITS = 30


class Source(StrEnum):
    """Where a figure came from."""

    DATA = "data"
    ASSUMPTION = "assumption"


@dataclass(frozen=True)
class Figure:
    value: float
    source: str  # Source


@dataclass(frozen=True)
class ReturnFigures:
    """The three figures and the sample behind them."""

    return_rate: Figure
    in_store_share: Figure
    resale_rate: Figure
    returned_units: int  # returned units of home-delivery lines
    home_units: int  # ordered units of home-delivery lines the returns can refer to

    def by_name(self) -> dict[str, Figure]:
        """The figures keyed by ``FIGURES`` (the mart's column names)."""
        return {name: getattr(self, name) for name in FIGURES}


def observed_returns(returns: pl.DataFrame, orders: pl.DataFrame) -> dict[str, int]:
    """Returned, in-store, resellable and ordered units of home-delivery lines (see module)."""
    per_line = returns.group_by(LINE).agg(
        returned=pl.col("quantity").sum(),
        in_store=pl.col("quantity").filter(pl.col("return_channel") == "in_store").sum(),
        resellable=pl.col("quantity").filter(pl.col("resellable").fill_null(False)).sum(),
        newest=pl.col("returned_at").max(),
    )
    lines = (
        orders.filter(pl.col("fulfillment_method") == OrderMethod.SHIP.value)
        .select(*LINE, "quantity", "ordered_at")
        .join(per_line, on=LINE, how="left")
    )
    newest = pl.col("newest").max()
    counted = (pl.col("ordered_at") <= newest) | pl.col("returned").is_not_null()
    totals = lines.select(
        returned_units=pl.col("returned").sum(),
        in_store_units=pl.col("in_store").sum(),
        resellable_units=pl.col("resellable").sum(),
        home_units=pl.col("quantity").filter(counted.fill_null(False)).sum(),
    )
    return {name: int(value or 0) for name, value in totals.row(0, named=True).items()}


def return_figures(
    returns: pl.DataFrame | None,
    orders: pl.DataFrame,
    assumed: Mapping[str, float],
    min_returned_units: int = MIN_RETURNED_UNITS,
) -> ReturnFigures:
    """The figures from data when there are at least ``min_returned_units`` returned units,
    else ``assumed[name]`` (keys ``FIGURES``); ``returns`` None = no returns files yet."""
    seen = (
        observed_returns(returns, orders)
        if returns is not None
        else dict.fromkeys(
            ("returned_units", "in_store_units", "resellable_units", "home_units"), 0
        )
    )
    returned, home = seen["returned_units"], seen["home_units"]
    enough = returned >= max(min_returned_units, 1) and home > 0
    observed = {
        "return_rate": returned / home if home else 0.0,
        "in_store_share": seen["in_store_units"] / returned if returned else 0.0,
        "resale_rate": seen["resellable_units"] / returned if returned else 0.0,
    }
    figures = {
        name: Figure(observed[name], Source.DATA.value)
        if enough
        else Figure(float(assumed[name]), Source.ASSUMPTION.value)
        for name in FIGURES
    }
    return ReturnFigures(**figures, returned_units=returned, home_units=home)
