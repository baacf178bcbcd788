"""The inventory position and the daily utilization as of a run, for the marts and the report."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import polars as pl

from orderbook.position import daily_utilization, inventory_position
from warehouse.book import load_book, load_staged
from warehouse.connection import read_table, table_exists
from warehouse.plans import RUNS, load_settings
from warehouse.runs import run_rows, write_run_frame

POSITION, UTILIZATION = "marts.inventory_position", "marts.daily_utilization"


def compute_position(
    con: duckdb.DuckDBPyConnection, run_id: str
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(inventory position, daily utilization) of the published book, as of the run's day
    (a dry run changes no book: it sees the newest published wave's)."""
    settings = load_settings(con, run_id)
    at = read_table(con, f"SELECT max(wave_at) AS at FROM {RUNS} WHERE run_id = ?", [run_id])
    when = at["at"][0] if at.height and at["at"][0] is not None else datetime.now(UTC)
    book, staged = load_book(con), load_staged(con)
    day = settings.business_day(when)
    position = inventory_position(book, staged, settings, day)
    return position, daily_utilization(book, staged.frames["nodes"])


def store_position(
    con: duckdb.DuckDBPyConnection, run_id: str, position: pl.DataFrame, days: pl.DataFrame
) -> None:
    """The run's rows of both marts, replacing an earlier attempt's."""
    write_run_frame(con, POSITION, run_id, position)
    write_run_frame(con, UTILIZATION, run_id, days)


def stored_position(
    con: duckdb.DuckDBPyConnection, run_id: str
) -> tuple[pl.DataFrame | None, pl.DataFrame | None]:
    """The run's stored position and utilization (None before the asset ran)."""
    position, days = (
        run_rows(con, table, run_id) if table_exists(con, table) else None
        for table in (POSITION, UTILIZATION)
    )
    return position, days
