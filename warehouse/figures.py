"""What the entry points read back from the warehouse without writing it: the KPIs of a run
(for ``omniroute run``'s summary) and the files already ingested (for the inbox sensor)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse.connection import table_exists

LEDGER = "raw.file_ledger"
KPIS = "marts.kpis"


def run_kpis(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, float]:
    """The run's scalar KPIs (marts.kpis) by name; empty before the report ran."""
    if not table_exists(con, KPIS):
        return {}
    rows = con.execute(
        f"SELECT kpi, value FROM {KPIS} WHERE run_id = ? AND value IS NOT NULL", [run_id]
    ).fetchall()
    return {kpi: float(value) for kpi, value in rows}


def ingested_hashes(warehouse: Path) -> set[str]:
    """sha256 of the files the warehouse has already taken, read-only (raises
    ``duckdb.Error`` while a run holds the file: the caller tries again later)."""
    if not warehouse.exists():
        return set()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        if not table_exists(con, LEDGER):
            return set()
        rows = con.execute(f"SELECT DISTINCT sha256 FROM {LEDGER}").fetchall()
    return {sha for (sha,) in rows}
