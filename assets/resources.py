"""Dagster resources: the DuckDB warehouse (one writer at a time), the inbox and the outbox.

Every asset writes the warehouse through ``WarehouseResource.connect``, and tables are created
where they are first written (plans, the book, each mart); so the connection, when its step
succeeded, leaves the file described (``warehouse.catalog``: views, ``COMMENT ON`` every
table, view and column). Only what differs is written: after the first step, a few catalog
reads. A failed step is left as it failed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
from pydantic import Field

from contracts.inbox import DEFAULT_MAX_FILE_MB, DEFAULT_QUIET_SECONDS, InboxRules
from warehouse.catalog import describe_warehouse
from warehouse.connection import open_warehouse

OMNIROUTE_MAX = f"{DEFAULT_MAX_FILE_MB} MB, env OMNIROUTE_MAX_FILE_MB"

if TYPE_CHECKING:
    import duckdb


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse file (schemas raw, staging, quarantine, plan, marts)."""

    path: str = Field(description="Path of the DuckDB warehouse file.")

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A locked connection; hold it only for the duration of one read-compute-write.
        On a clean exit the step's new tables and views are described before it closes."""
        with open_warehouse(Path(self.path)) as connection:
            yield connection
            describe_warehouse(connection)


class InboxResource(dg.ConfigurableResource):
    """The folder partners drop CSV/Parquet files into, and the limits of that boundary."""

    path: str = Field(description="Folder holding the partner files (orders*, stock*, ...).")
    max_file_mb: float | None = Field(
        default=None,
        description=f"Largest file taken, in MB (default {OMNIROUTE_MAX}); larger are refused.",
    )
    quiet_seconds: float | None = Field(
        default=None,
        description=(
            "A file is taken once unchanged for this long (default "
            f"{DEFAULT_QUIET_SECONDS:g} s): files still being written wait for a later run."
        ),
    )

    def rules(self) -> InboxRules:
        """The boundary's limits: these fields over the environment over the defaults."""
        return InboxRules.from_env(max_file_mb=self.max_file_mb, quiet_seconds=self.quiet_seconds)


class OutboxResource(dg.ConfigurableResource):
    """The folder partners collect instructions from (one sub-folder per run)."""

    path: str = Field(description="Folder where each run writes outbox/<run_id>/...")
