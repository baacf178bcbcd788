"""The warehouse's ingestion-side tables: ledger, raw, staging and quarantine, created here.

Layout:

- ``raw.file_ledger``: one row per file seen (name, sha256, kind, header, counts, status,
  and for a CSV its physical lines: ``lines_read``, ``lines_outside_records``).
- ``raw.<kind>``: every record as written (text), with ``source_file``, ``file_sha256``,
  ``row_number``, ``line_number``, ``line_count``; partner columns outside the contract in
  ``extra_fields`` (JSON object).
- ``staging.<kind>``: ``STAGING_SCHEMAS`` columns, then ``source_file``, ``row_number``.
- ``quarantine.rejected_rows``: the record as JSON and every reason (list of structs).
- ``quarantine.unreadable_files``: files that could not be read (copied whole beside).

JSON is stored as DuckDB ``JSON`` (``JSON_COLUMNS``), so analysts write ``settings->>'mip_gap'``;
a warehouse from before stored it as VARCHAR and is retyped when its table is prepared.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import duckdb
import polars as pl

from contracts.fields import CONTRACT
from contracts.kinds import KINDS
from contracts.reading import (
    LINE_COUNT,
    LINE_NUMBER,
    OVERFLOW,
    READ_ERROR,
    ROW_NUMBER,
    SOURCE_FILE,
)
from contracts.tables import ATP_SCHEMA
from contracts.validation import empty_staged
from warehouse.connection import quote

LEDGER = "raw.file_ledger"
REJECTED = "quarantine.rejected_rows"
UNREADABLE = "quarantine.unreadable_files"
ATP_TABLE = "staging.available_to_promise"
# Columns holding JSON documents, per table (whoever creates the table types them JSON).
JSON_COLUMNS: dict[str, tuple[str, ...]] = {
    REJECTED: ("record",),
    "plan.runs": ("objective_terms", "settings", "feedback"),
    "marts.benefit_estimates": ("assumptions",),
    **{f"raw.{kind}": ("extra_fields",) for kind in KINDS},
}

LEDGER_DDL = f"""
CREATE TABLE IF NOT EXISTS {LEDGER} (
    file_name VARCHAR, sha256 VARCHAR, kind VARCHAR, columns VARCHAR[],
    rows_read BIGINT, rows_accepted BIGINT, rows_rejected BIGINT, rows_duplicate BIGINT,
    rows_amended BIGINT, status VARCHAR, message VARCHAR, run_id VARCHAR,
    ingested_at TIMESTAMPTZ, validated_at TIMESTAMPTZ, duplicate_rows BIGINT[]
)"""
REJECTED_DDL = f"""
CREATE TABLE IF NOT EXISTS {REJECTED} (
    source_file VARCHAR, file_sha256 VARCHAR, kind VARCHAR, row_number BIGINT, record JSON,
    reasons STRUCT("column" VARCHAR, rule VARCHAR, message VARCHAR)[],
    run_id VARCHAR, quarantined_at TIMESTAMPTZ
)"""
UNREADABLE_DDL = f"""
CREATE TABLE IF NOT EXISTS {UNREADABLE} (
    file_name VARCHAR, sha256 VARCHAR, kind VARCHAR, message VARCHAR, quarantined_path VARCHAR,
    run_id VARCHAR, quarantined_at TIMESTAMPTZ
)"""

_DUCKDB_TYPES: dict[type[pl.DataType], str] = {
    pl.String: "VARCHAR",
    pl.Int64: "BIGINT",
    pl.Float64: "DOUBLE",
    pl.Boolean: "BOOLEAN",
    pl.Datetime: "TIMESTAMPTZ",
    pl.Date: "DATE",
}


def _sql_types(table: str, schema: Mapping[str, pl.DataType]) -> dict[str, str]:
    """DuckDB type per column: the Polars type's, or JSON for the table's ``JSON_COLUMNS``."""
    json = JSON_COLUMNS.get(table, ())
    return {n: "JSON" if n in json else _DUCKDB_TYPES[type(t)] for n, t in schema.items()}


def _ddl(table: str, schema: Mapping[str, pl.DataType]) -> str:
    columns = ", ".join(f"{quote(n)} {t}" for n, t in _sql_types(table, schema).items())
    return f"CREATE TABLE IF NOT EXISTS {table} ({columns})"


def create_table(
    con: duckdb.DuckDBPyConnection, table: str, schema: Mapping[str, pl.DataType]
) -> None:
    """The table with at least these columns: created if missing, columns an older version of
    the table lacks added (nothing is ever dropped), JSON stored as JSON."""
    con.execute(_ddl(table, schema))
    for name, sql_type in _sql_types(table, schema).items():
        con.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {quote(name)} {sql_type}")
    type_json(con, table)


def type_json(
    con: duckdb.DuckDBPyConnection, table: str, columns: Collection[str] | None = None
) -> None:
    """Retype the table's JSON columns an older warehouse stored as VARCHAR (a value that is
    not JSON is kept, as a JSON string); a no-op once they are JSON."""
    wanted = list(JSON_COLUMNS.get(table, ()) if columns is None else columns)
    if not wanted:
        return
    schema, name = table.split(".")
    stale = con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
        "AND schema_name = ? AND table_name = ? AND data_type = 'VARCHAR' "
        "AND list_contains(?, column_name)",
        [schema, name, wanted],
    ).fetchall()
    for (column,) in stale:
        c = quote(column)
        con.execute(
            f"ALTER TABLE {table} ALTER COLUMN {c} TYPE JSON "
            f"USING CASE WHEN {c} IS NULL THEN NULL WHEN json_valid({c}) THEN {c}::JSON "
            f"ELSE to_json({c}) END"
        )


def staged_schema(kind: str) -> pl.Schema:
    """Polars types of ``staging.<kind>`` (staging shape plus lineage)."""
    return empty_staged(kind).schema


def raw_columns(kind: str) -> list[str]:
    """Columns of ``raw.<kind>``: lineage, the contract's columns as text, extras, read problems."""
    return [
        SOURCE_FILE,
        "file_sha256",
        ROW_NUMBER,
        *(f.name for f in CONTRACT[kind]),
        "extra_fields",
        LINE_NUMBER,
        LINE_COUNT,
        READ_ERROR,
        OVERFLOW,
    ]


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """Create the schemas and tables ingestion writes (idempotent); timestamps in UTC."""
    con.execute("SET TimeZone = 'UTC'")
    for schema in ("raw", "staging", "quarantine"):
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    con.execute(LEDGER_DDL)
    for column in ("duplicate_rows BIGINT[]", "lines_read BIGINT", "lines_outside_records BIGINT"):
        con.execute(f"ALTER TABLE {LEDGER} ADD COLUMN IF NOT EXISTS {column}")
    con.execute(REJECTED_DDL)
    type_json(con, REJECTED)
    con.execute(UNREADABLE_DDL)
    for kind in KINDS:
        raw = {c: pl.String() for c in raw_columns(kind)} | {
            c: pl.Int64() for c in (ROW_NUMBER, LINE_NUMBER, LINE_COUNT)
        }
        create_table(con, f"raw.{kind}", raw)
        # columns a later contract adds (file_sha256, pickup_capacity_orders, ...) are added
        create_table(con, f"staging.{kind}", staged_schema(kind))
    con.execute(_ddl(ATP_TABLE, ATP_SCHEMA))
