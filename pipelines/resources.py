"""Dagster resources: the DuckDB warehouse (one writer at a time), the inbox and the outbox."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from pydantic import Field


@contextmanager
def warehouse_lock(database: Path) -> Iterator[None]:
    """Exclusive inter-process lock beside the DuckDB file.

    DuckDB allows one writer process; runs, the sensor and ad-hoc tools all go through this
    lock, so a second writer waits instead of failing with a lock error.
    """
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


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse file (schemas raw, staging, quarantine, plan, marts)."""

    path: str = Field(description="Path of the DuckDB warehouse file.")

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A locked connection; hold it only for the duration of one read-compute-write."""
        with open_warehouse(Path(self.path)) as connection:
            yield connection


class InboxResource(dg.ConfigurableResource):
    """The folder partners drop CSV/Parquet files into."""

    path: str = Field(description="Folder holding the partner files (orders*, stock*, ...).")


class OutboxResource(dg.ConfigurableResource):
    """The folder partners collect instructions from (one sub-folder per run)."""

    path: str = Field(description="Folder where each run writes outbox/<run_id>/...")
