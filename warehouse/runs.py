"""Tables kept per ``run_id`` (plans and marts): each run's rows replaced, never another's.

Each table gets ``run_id`` (and constants such as ``method``) in front of the frame's own
columns; a table is created on first write from the frame's shape (and gains the columns
a later version's frame adds), rows are inserted by column name; its ``JSON_COLUMNS`` are
typed JSON. Re-executing the same run replaces that run's rows only.
"""

from __future__ import annotations

import duckdb
import polars as pl

from warehouse.connection import insert_frame, read_table
from warehouse.schema import type_json


def write_run_frame(
    con: duckdb.DuckDBPyConnection,
    table: str,
    run_id: str,
    frame: pl.DataFrame,
    **constants: str,
) -> None:
    """Replace this run's rows of ``table`` (schema.name) with ``frame``, tagged with run_id."""
    schema = table.split(".")[0]
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    tagged = frame.with_columns(
        *(pl.lit(value, pl.String).alias(name) for name, value in constants.items()),
        pl.lit(run_id, pl.String).alias("run_id"),
    ).select("run_id", *constants, *frame.columns)
    tagged = tagged.with_columns(
        pl.col(c).cast(pl.String) for c, t in tagged.schema.items() if t == pl.Null
    )
    con.register("_shape", tagged.head(0))
    try:
        con.execute(f"CREATE TABLE IF NOT EXISTS {table} AS SELECT * FROM _shape")
        # a mart that gained columns in a later version: add them (older rows keep nulls)
        have = {row[0] for row in con.execute(f"DESCRIBE {table}").fetchall()}
        for name, dtype, *_ in con.execute("DESCRIBE _shape").fetchall():
            if name not in have:
                con.execute(f'ALTER TABLE {table} ADD COLUMN "{name}" {dtype}')
    finally:
        con.unregister("_shape")
    type_json(con, table)
    where = " AND ".join(["run_id = ?", *(f"{name} = ?" for name in constants)])
    con.execute(f"DELETE FROM {table} WHERE {where}", [run_id, *constants.values()])
    insert_frame(con, table, tagged)


def run_rows(con: duckdb.DuckDBPyConnection, table: str, run_id: str) -> pl.DataFrame:
    """One run's rows of a per-run table, without the run_id column."""
    return read_table(con, f"SELECT * EXCLUDE (run_id) FROM {table} WHERE run_id = ?", [run_id])
