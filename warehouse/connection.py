"""The warehouse file: one writer at a time, and the few primitives every query goes through.

DuckDB allows one writer process; runs, the sensor and ad-hoc tools all take the lock beside
the file, so a second writer waits instead of failing with a lock error. Processes that do not
take that lock (an analyst's ``duckdb -readonly`` shell or read-only connection) still hold
DuckDB's own lock on the file: the writer then retries for a bounded time
(``OMNIROUTE_LOCK_WAIT_S``, default 300 s) before it gives up with ``WarehouseBusyError``.
Every SQL statement of the product lives in this package (``warehouse.*``); nothing else
builds SQL.

A new warehouse file is created in the storage format of DuckDB 1.5 (``STORAGE_COMPATIBILITY``)
so that the DuckDB 1.5 command-line shell analysts install (``duckdb-cli``) opens it; this
package's newer DuckDB reads and writes that format as it is. ``uv run omniroute sql`` opens
any of them with this package's DuckDB.
"""

from __future__ import annotations

import fcntl
import logging
import math
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import polars as pl

LOCK_WAIT_ENV = "OMNIROUTE_LOCK_WAIT_S"
DEFAULT_LOCK_WAIT_S = 300.0
RETRY_EVERY_S = 0.5
# The oldest DuckDB whose files a new warehouse must stay readable by (duckdb-cli 1.5.x).
STORAGE_COMPATIBILITY = "v1.5.0"
# DuckDB's words: 'Could not set lock on file "F": Conflicting lock is held in P (PID N)'
_LOCK_CONFLICT = re.compile(r"Could not set lock on file|Conflicting lock is held")
_HOLDER_PID = re.compile(r"\(PID (\d+)\)")

log = logging.getLogger(__name__)


class WarehouseBusyError(RuntimeError):
    """Another process kept the warehouse file open for longer than the run may wait."""


def lock_wait_seconds(seconds: float | None = None) -> float:
    """How long a writer waits for other processes to close the file: ``seconds`` if given,
    else ``OMNIROUTE_LOCK_WAIT_S``, else 300 s (a typo in the variable is an error, not 0)."""
    if seconds is None:
        raw = os.environ.get(LOCK_WAIT_ENV, "").strip()
        if not raw:
            return DEFAULT_LOCK_WAIT_S
        try:
            seconds = float(raw)
        except ValueError:
            seconds = math.nan
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"{LOCK_WAIT_ENV} must be a number of seconds >= 0 (got {raw!r})")
    return max(0.0, seconds)


def _holder(error: duckdb.IOException) -> str:
    """'PID N, for example ...' when DuckDB's message names the holder, else the example."""
    pid = _HOLDER_PID.search(str(error))
    example = "for example an analyst's read-only connection"
    return f"PID {pid.group(1)}, {example}" if pid else example


def _connect_when_free(database: Path, wait_s: float) -> duckdb.DuckDBPyConnection:
    """``duckdb.connect``, retried while another process holds DuckDB's lock on the file;
    every other error is raised at once."""
    deadline = time.monotonic() + wait_s
    waiting = False
    while True:
        try:
            return duckdb.connect(str(database))
        except duckdb.IOException as error:
            if not _LOCK_CONFLICT.search(str(error)):
                raise
            holder, left = _holder(error), deadline - time.monotonic()
            if left <= 0:
                raise WarehouseBusyError(
                    f"the warehouse {database} stayed open in another process ({holder}) for "
                    f"{wait_s:g} s: close that connection and run again (analysts can query a "
                    "copy of the file, or open it with `duckdb -readonly` between waves)"
                ) from error
            if not waiting:
                log.warning(
                    "the warehouse %s is open in another process (%s); waiting up to %g s for "
                    "it to close",
                    database,
                    holder,
                    wait_s,
                )
                waiting = True
            time.sleep(min(RETRY_EVERY_S, left))


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
def open_warehouse(
    database: Path, *, lock_wait_s: float | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A locked read-write connection to the warehouse file, closed on exit.

    An analyst's open connection makes it wait (see ``lock_wait_seconds``), not fail, so a
    wave never dies of a query someone left open for a minute."""
    wait_s = lock_wait_seconds(lock_wait_s)
    with warehouse_lock(database):
        if not database.exists():
            create_warehouse_file(database)
        connection = _connect_when_free(database, wait_s)
        try:
            yield connection
        finally:
            connection.close()


def create_warehouse_file(database: Path) -> None:
    """An empty warehouse file in the ``STORAGE_COMPATIBILITY`` format (the format is the
    file's for good; connections that follow need no setting, so they never clash with
    another connection's configuration in the same process)."""
    config: dict[str, str | bool | int | float | list[str]] = {
        "storage_compatibility_version": STORAGE_COMPATIBILITY
    }
    duckdb.connect(str(database), config=config).close()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """BEGIN, then COMMIT if the body succeeds, else ROLLBACK and the body's error.

    A failed write (a full disk, most often) can leave DuckDB with no active transaction, so
    the ROLLBACK fails too; its error then rides along as a note on the original one instead
    of hiding it ("No space left on device" is what the operator needs to read)."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
        con.execute("COMMIT")
    except BaseException as error:
        try:
            con.execute("ROLLBACK")
        except Exception as rollback_error:
            error.add_note(f"the rollback that followed failed too: {rollback_error}")
        raise


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
