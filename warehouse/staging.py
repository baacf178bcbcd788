"""Staging tables: read whole in the contract's shape, upserted by key, derived tables replaced."""

from __future__ import annotations

import duckdb
import polars as pl

from contracts.tables import ATP_SCHEMA, KEYS
from contracts.validation import empty_staged, staged_columns
from warehouse.connection import insert_frame, quote, read_table
from warehouse.schema import ATP_TABLE, staged_schema


def load_staging(con: duckdb.DuckDBPyConnection, kind: str) -> pl.DataFrame:
    """The whole staging table of a kind, typed exactly as the contract's staging shape."""
    con.execute("SET TimeZone = 'UTC'")  # TIMESTAMPTZ comes back as UTC, whatever the host's zone
    columns = ", ".join(quote(c) for c in staged_columns(kind))
    frame = read_table(con, f"SELECT {columns} FROM staging.{kind}")
    return frame.cast(staged_schema(kind)) if frame.height else empty_staged(kind)


def replace_keys(con: duckdb.DuckDBPyConnection, kind: str, rows: pl.DataFrame) -> None:
    """Upsert: staged rows with the keys of ``rows`` go, ``rows`` come in (last wins)."""
    if rows.is_empty():
        return
    keys = KEYS[kind]
    match = " AND ".join(f"s.{quote(k)} IS NOT DISTINCT FROM k.{quote(k)}" for k in keys)
    con.register("_keys", rows.select(keys))
    try:
        con.execute(f"DELETE FROM staging.{kind} AS s USING _keys AS k WHERE {match}")
    finally:
        con.unregister("_keys")
    insert_frame(con, f"staging.{kind}", rows.select(staged_columns(kind)))


def replace_table(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    """A derived table recomputed whole (e.g. available to promise)."""
    con.execute(f"DELETE FROM {table}")
    insert_frame(con, table, frame)


def load_available_to_promise(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """``staging.available_to_promise`` in its contract shape."""
    return read_table(con, f"SELECT * FROM {ATP_TABLE}").cast(ATP_SCHEMA)
