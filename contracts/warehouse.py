"""The ingestion side of the DuckDB warehouse: ledger, raw, staging and quarantine tables.

Plain functions over a DuckDB connection (no Dagster), so they are tested directly and the
assets stay thin. Layout:

- ``raw.file_ledger``: one row per file seen (name, sha256, kind, header, counts, status).
- ``raw.<kind>``: every record as written (text), with ``source_file``, ``file_sha256``,
  ``row_number``; partner columns outside the contract in ``extra_fields`` (JSON object).
- ``staging.<kind>``: ``STAGING_SCHEMAS`` columns, then ``source_file``, ``row_number``.
- ``quarantine.rejected_rows``: the record as JSON and every reason (list of structs).
- ``quarantine.unreadable_files``: files that could not be read (copied whole beside).
"""

from __future__ import annotations

import duckdb
import polars as pl

from contracts.fields import CONTRACT
from contracts.kinds import KINDS
from contracts.reading import OVERFLOW, READ_ERROR, ROW_NUMBER, SOURCE_FILE
from contracts.tables import ATP_SCHEMA, KEYS
from contracts.validation import empty_staged, staged_columns

LEDGER = "raw.file_ledger"
REJECTED = "quarantine.rejected_rows"
UNREADABLE = "quarantine.unreadable_files"
ATP_TABLE = "staging.available_to_promise"

LEDGER_DDL = f"""
CREATE TABLE IF NOT EXISTS {LEDGER} (
    file_name VARCHAR, sha256 VARCHAR, kind VARCHAR, columns VARCHAR[],
    rows_read BIGINT, rows_accepted BIGINT, rows_rejected BIGINT, rows_duplicate BIGINT,
    rows_amended BIGINT, status VARCHAR, message VARCHAR, run_id VARCHAR,
    ingested_at TIMESTAMPTZ, validated_at TIMESTAMPTZ
)"""
REJECTED_DDL = f"""
CREATE TABLE IF NOT EXISTS {REJECTED} (
    source_file VARCHAR, file_sha256 VARCHAR, kind VARCHAR, row_number BIGINT, record VARCHAR,
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
}


def quote(name: str) -> str:
    """A safe SQL identifier (partner column names are data, not SQL)."""
    return '"' + name.replace('"', '""') + '"'


def _ddl(table: str, schema: dict[str, pl.DataType]) -> str:
    columns = ", ".join(f"{quote(n)} {_DUCKDB_TYPES[type(t)]}" for n, t in schema.items())
    return f"CREATE TABLE IF NOT EXISTS {table} ({columns})"


def staged_schema(kind: str) -> dict[str, pl.DataType]:
    """Polars types of ``staging.<kind>`` (staging shape plus lineage)."""
    return dict(empty_staged(kind).schema)


def raw_columns(kind: str) -> list[str]:
    """Columns of ``raw.<kind>``: lineage, the contract's columns as text, extras, read problems."""
    return [SOURCE_FILE, "file_sha256", ROW_NUMBER, *(f.name for f in CONTRACT[kind]),
            "extra_fields", READ_ERROR, OVERFLOW]  # fmt: skip


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """Create the schemas and tables ingestion writes (idempotent); timestamps in UTC."""
    con.execute("SET TimeZone = 'UTC'")
    for schema in ("raw", "staging", "quarantine"):
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    con.execute(LEDGER_DDL)
    con.execute(REJECTED_DDL)
    con.execute(UNREADABLE_DDL)
    for kind in KINDS:
        raw = {c: pl.String() for c in raw_columns(kind)} | {ROW_NUMBER: pl.Int64()}
        con.execute(_ddl(f"raw.{kind}", raw))
        con.execute(_ddl(f"staging.{kind}", staged_schema(kind)))
    con.execute(_ddl(ATP_TABLE, ATP_SCHEMA))


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

