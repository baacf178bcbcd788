"""Inputs no solver can be trusted with are refused before the solve, not reported "optimal".

A cost of 1e308 or a quantity of 9e18 makes every other coefficient vanish beside it in
floating point: HiGHS then reports an "optimal" plan that fills a fraction of what the
rule-based plan fills. The partner contract bounds every value (``contracts.fields``), so
this is the optimizer's own guard for frames that did not come through it.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from optimizers.candidates.build import Candidates

MAX_COEFFICIENT = 1e10  # a per-unit or per-parcel cost (the contract's bounds stay below 1e9)
MAX_QUANTITY = 1e9  # units of a line or of stock

_COSTS = {
    "candidates": ("unit_obj", "cost_per_package", "cost_per_kg", "unit_weight_kg"),
    "pairs": ("handling_cost_per_order",),
    "lines": ("unit_price",),
}
_QUANTITIES = {"lines": ("quantity",), "atp": ("available_to_promise",)}


class NumericalInputError(ValueError):
    """An input value the solver cannot be trusted with (non-finite or out of range)."""


def refuse_dangerous_inputs(c: Candidates) -> None:
    """Raise NumericalInputError naming the first column with a non-finite or huge value."""
    for limits, limit in ((_COSTS, MAX_COEFFICIENT), (_QUANTITIES, MAX_QUANTITY)):
        for frame_name, columns in limits.items():
            frame: pl.DataFrame = getattr(c, frame_name)
            for column in columns:
                if column not in frame.columns or frame.is_empty():
                    continue
                values = frame[column].drop_nulls().cast(pl.Float64).to_numpy()
                bad = ~np.isfinite(values) | (np.abs(values) > limit)
                if bad.any():
                    raise NumericalInputError(
                        f"{frame_name}.{column} holds {values[bad][0]:g} ({int(bad.sum())} "
                        f"value(s) non-finite or above {limit:g}): no solver result could be "
                        "trusted with it; check the partner file's units"
                    )
