"""Available to promise from stock snapshots."""

from __future__ import annotations

import datetime as dt

import polars as pl

from contracts.atp import available_to_promise
from contracts.tables import ATP_SCHEMA, STAGING_SCHEMAS

OLD = dt.datetime(2025, 3, 2, tzinfo=dt.UTC)
NEW = dt.datetime(2025, 3, 3, tzinfo=dt.UTC)


def test_newest_snapshot_wins_and_atp_never_goes_negative():
    stock = pl.DataFrame(
        {
            "node_id": ["A", "A", "A", "B"],
            "sku": ["x", "x", "y", "x"],
            "on_hand": [50, 10, 2, 1],
            "reserved": [0, 3, 1, 0],
            "safety_stock": [0, 2, None, 3],
            "snapshot_at": [OLD, NEW, OLD, NEW],
        },
        schema=STAGING_SCHEMAS["stock"],
    )
    atp = available_to_promise(stock)
    assert dict(atp.schema) == dict(ATP_SCHEMA)
    assert atp.rows() == [("A", "x", 5), ("A", "y", 1), ("B", "x", 0)]


def test_no_stock_no_atp():
    empty = pl.DataFrame(schema=STAGING_SCHEMAS["stock"])
    assert available_to_promise(empty).is_empty()
