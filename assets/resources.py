"""Dagster resources: the DuckDB warehouse (one writer at a time), the inbox and the outbox."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
from pydantic import Field

from warehouse.connection import open_warehouse

if TYPE_CHECKING:
    import duckdb


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
