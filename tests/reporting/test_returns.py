"""The business's own return figures, worked out by hand from a small history."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from contracts.tables import STAGING_SCHEMAS
from reporting.returns import return_figures
from tests.hand_plan import rows

ASSUMED = {"return_rate": 0.15, "in_store_share": 0.4, "resale_rate": 0.7}


def day(month: int, d: int) -> datetime:
    return datetime(2025, month, d, 12, tzinfo=UTC)


def history() -> pl.DataFrame:
    """Ship lines H1 (100 units), H2 (60); pickup line H3 (50); H4 (40) ordered after the
    newest return, so it could not have come back yet."""

    def line(order_id: str, quantity: int, method: str, ordered_at: datetime) -> dict[str, object]:
        return {
            "order_id": order_id,
            "line_no": 1,
            "sku": "A",
            "unit_price": 10.0,
            "quantity": quantity,
            "fulfillment_method": method,
            "ordered_at": ordered_at,
        }

    return rows(
        STAGING_SCHEMAS["orders"],
        line("H1", 100, "ship", day(1, 1)),
        line("H2", 60, "ship", day(1, 2)),
        line("H3", 50, "pickup", day(1, 2)),
        line("H4", 40, "ship", day(3, 1)),
    )


def returns() -> pl.DataFrame:
    """40 returned units of ship lines (30 in store, 20 resellable), plus 5 of the pickup line
    and 7 of an unknown order, which do not count."""
    columns = (
        "return_id",
        "order_id",
        "quantity",
        "returned_at",
        "return_channel",
        "node_id",
        "resellable",
    )
    records = [
        ("R1", "H1", 20, day(1, 10), "in_store", "S1", True),
        ("R2", "H1", 10, day(1, 15), "mail", "DC1", False),
        ("R3", "H2", 10, day(2, 1), "in_store", "S2", False),
        ("R4", "H3", 5, day(1, 20), "in_store", "S2", True),
        ("R5", "X9", 7, day(1, 20), "mail", "DC1", True),
    ]
    return rows(
        STAGING_SCHEMAS["returns"],
        *({"line_no": 1} | dict(zip(columns, r, strict=True)) for r in records),
    )


def test_figures_from_returns_by_hand() -> None:
    figures = return_figures(returns(), history(), ASSUMED)
    # 40 returned of the 100 + 60 units shipped home up to the newest return (H4 is later)
    assert (figures.returned_units, figures.home_units) == (40, 160)
    assert figures.return_rate.value == pytest.approx(40 / 160)
    assert figures.in_store_share.value == pytest.approx(30 / 40)
    assert figures.resale_rate.value == pytest.approx(20 / 40)
    assert {f.source for f in figures.by_name().values()} == {"data"}


def test_a_returned_line_counts_even_if_ordered_after_the_newest_return() -> None:
    late = returns().filter(pl.col("return_id") == "R1").with_columns(order_id=pl.lit("H4"))
    figures = return_figures(late, history(), ASSUMED, min_returned_units=1)
    # H4 (40 units) is returned, so counted, as are H1 and H2 ordered before the return
    assert (figures.returned_units, figures.home_units) == (20, 200)
    assert figures.return_rate.value == pytest.approx(0.1)


@pytest.mark.parametrize(("minimum", "source"), [(40, "data"), (41, "assumption")])
def test_below_the_minimum_sample_the_assumptions_are_used(minimum: int, source: str) -> None:
    figures = return_figures(returns(), history(), ASSUMED, min_returned_units=minimum)
    assert {f.source for f in figures.by_name().values()} == {source}
    if source == "assumption":
        assert {k: f.value for k, f in figures.by_name().items()} == ASSUMED
        assert figures.returned_units == 40  # the sample is still reported


@pytest.mark.parametrize("frame", [None, rows(STAGING_SCHEMAS["returns"])])
def test_no_returns_means_assumptions(frame: pl.DataFrame | None) -> None:
    figures = return_figures(frame, history(), ASSUMED)
    assert {k: (f.value, f.source) for k, f in figures.by_name().items()} == {
        k: (v, "assumption") for k, v in ASSUMED.items()
    }
    assert figures.returned_units == 0
