"""The warehouse file: one writer at a time, and the few primitives every query goes through.

DuckDB allows one writer process; runs, the sensor and ad-hoc tools all take the lock beside
the file, so a second writer waits instead of failing with a lock error. Every SQL statement
of the product lives in this package (``warehouse.*``); nothing else builds SQL.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import polars as pl


@contextmanager
def warehouse_lock(database: Path) -> Iterator[None]:
    """Exclusive inter-process lock beside the DuckDB file."""
    database.parent.mkdir(parents=True, exist_ok=True)
    lock_path = database.with_name(database.name + ".lock")
    with open(lock_path, "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@contextmanager
def open_warehouse(database: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A locked read-write connection to the warehouse file, closed on exit."""
    with warehouse_lock(database):
        connection = duckdb.connect(str(database))
        try:
            yield connection
        finally:
            connection.close()


def quote(name: str) -> str:
    """A safe SQL identifier (partner column names are data, not SQL)."""
    return '"' + name.replace('"', '""') + '"'


def insert_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    """Append a frame to a table, matching columns by name."""
    if frame.is_empty():
        return
    con.register("_incoming", frame)
    try:
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _incoming")
    finally:
        con.unregister("_incoming")


def read_table(
    con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None
) -> pl.DataFrame:
    """A query's result as a Polars frame."""
    return con.sql(sql, params=params).pl()


def table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether ``schema.name`` exists."""
    schema, name = table.split(".")
    query = "SELECT 1 FROM information_schema.tables WHERE table_schema = ? AND table_name = ?"
    return bool(con.execute(query, [schema, name]).fetchall())


def count_rows(con: duckdb.DuckDBPyConnection, table: str, where: str = "", params=None) -> int:
    """Rows of a table (optionally filtered)."""
    sql = f"SELECT count(*) FROM {table}" + (f" WHERE {where}" if where else "")
    return int(con.execute(sql, params or []).fetchall()[0][0])
