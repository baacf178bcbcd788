"""Dagster metadata a planner can read: rounded numbers, shares as percents, real tables.

Every asset's ``MaterializeResult`` goes through these, so the UI never shows
``0.010636195001774425`` or a ratio beside a percent: money and objective values keep two
decimals, a share in [0, 1] becomes a percent (the key says ``_pct``), and a Polars frame
becomes a ``dg.MetadataValue.table`` with its column schema.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import dagster as dg
import polars as pl

_TYPES = {
    pl.Boolean: "bool",
    pl.String: "string",
    pl.Date: "date",
    pl.Datetime: "datetime",
}


def rounded(value: float | None, digits: int) -> float | None:
    """``digits`` decimals; None (and NaN, inf) stays None: the UI shows nothing."""
    return None if value is None or not math.isfinite(value) else round(float(value), digits)


def money(value: float | None) -> float | None:
    """Two decimals (money, objective values)."""
    return rounded(value, 2)


def percent(share: float | None, digits: int = 2) -> float | None:
    """A share in [0, 1] as a percent (0.0106 -> 1.06)."""
    return None if share is None else rounded(100 * share, digits)


def seconds(value: float | None) -> float | None:
    return rounded(value, 1)


def _column_type(dtype: pl.DataType) -> str:
    if dtype.is_integer():
        return "int"
    if dtype.is_float():
        return "float"
    return next((name for kind, name in _TYPES.items() if isinstance(dtype, kind)), "string")


def table(
    frame: pl.DataFrame,
    digits: int = 2,
    limit: int = 50,
    descriptions: Mapping[str, str] | None = None,
) -> dg.TableMetadataValue:
    """The frame's first ``limit`` rows as a Dagster table with its column schema (floats
    rounded to ``digits``; ``descriptions`` per column, shown in the UI)."""
    shown = frame.head(limit).with_columns(pl.selectors.float().round(digits))
    described = descriptions or {}
    schema = dg.TableSchema(
        columns=[
            dg.TableColumn(name, _column_type(dtype), description=described.get(name))
            for name, dtype in shown.schema.items()
        ]
    )
    records = [dg.TableRecord(_plain(row)) for row in shown.iter_rows(named=True)]
    return dg.MetadataValue.table(records=records, schema=schema)


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    """TableRecord takes str, int, float and bool (None stays None)."""
    return {
        k: v if v is None or isinstance(v, str | int | float | bool) else str(v)
        for k, v in row.items()
    }
