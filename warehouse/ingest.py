"""Inbox -> ledger and raw tables; pending raw files -> staging and quarantine.

Two steps, so each is one Dagster asset (or group) and a failed validation leaves its files
``pending`` in the ledger for the next run instead of losing them. Idempotent: a file whose
sha256 is already in the ledger is skipped, so re-dropping it changes nothing.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

from contracts.faults import crash_point
from contracts.fields import CONTRACT
from contracts.intake import validate_kind
from contracts.kinds import KINDS, REFERENCE_KINDS, kind_of, processing_order
from contracts.reading import (
    FILE_SHA256,
    OVERFLOW,
    READ_ERROR,
    ROW_NUMBER,
    SOURCE_FILE,
    RawFile,
    UnreadableFileError,
    file_sha256,
    read_partner_file,
)
from contracts.tables import KEYS
from contracts.validation import FileValidation
from contracts.vocabulary import FileStatus
from warehouse.connection import count_rows, insert_frame, quote, read_table
from warehouse.schema import LEDGER, REJECTED, UNREADABLE, prepare
from warehouse.staging import load_staging, replace_keys

QUARANTINE_FOLDER = "quarantine_files"


@dataclass(frozen=True)
class SeenFile:
    """One inbox file as the ledger recorded it this run."""

    name: str
    sha256: str
    kind: str | None
    status: str  # vocabulary.FileStatus: pending | unreadable | unknown_kind
    rows_read: int | None = None
    message: str = ""


@dataclass
class InboxScan:
    """What one look at the inbox found: new files recorded, known ones skipped."""

    recorded: list[SeenFile] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        """How many newly recorded files have this status."""
        return sum(1 for f in self.recorded if f.status == status)


def inbox_files(inbox: Path) -> list[Path]:
    """Regular, non-hidden files of the inbox in contract order (reference kinds, then names)."""
    if not inbox.is_dir():
        raise FileNotFoundError(f"inbox folder {inbox} does not exist")
    names = [p.name for p in inbox.iterdir() if p.is_file() and not p.name.startswith(".")]
    return [inbox / name for name in processing_order(names)]


def ingest_inbox(
    con: duckdb.DuckDBPyConnection, inbox: Path, quarantine_dir: Path, run_id: str
) -> InboxScan:
    """Record every new inbox file: raw rows + a pending ledger row, or why it can't be read."""
    prepare(con)
    known = set(read_table(con, f"SELECT sha256 FROM {LEDGER}")["sha256"].to_list())
    scan = InboxScan()
    for path in inbox_files(inbox):
        sha = file_sha256(path)
        if sha in known:
            scan.skipped.append(path.name)
            continue
        known.add(sha)
        con.execute("BEGIN TRANSACTION")
        try:
            seen = _record_file(con, path, sha, quarantine_dir, run_id)
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        scan.recorded.append(seen)
        crash_point("ingest.after_first_file")
    return scan


def _record_file(
    con: duckdb.DuckDBPyConnection, path: Path, sha: str, quarantine_dir: Path, run_id: str
) -> SeenFile:
    kind = kind_of(path)
    if kind is None:
        message = f"file name must start with one of: {', '.join(KINDS)}"
        seen = SeenFile(path.name, sha, None, FileStatus.UNKNOWN_KIND, message=message)
        _ledger_row(con, seen, [], run_id)
        return seen
    try:
        raw = read_partner_file(path, sha)
    except UnreadableFileError as error:
        seen = SeenFile(path.name, sha, kind, FileStatus.UNREADABLE, message=str(error))
        _quarantine_file(con, path, seen, quarantine_dir, run_id)
        _ledger_row(con, seen, [], run_id)
        return seen
    insert_frame(con, f"raw.{kind}", raw_rows(raw))
    seen = SeenFile(path.name, sha, kind, FileStatus.PENDING, rows_read=raw.frame.height)
    _ledger_row(con, seen, list(raw.columns), run_id)
    return seen


def raw_rows(raw: RawFile) -> pl.DataFrame:
    """A file's records for ``raw.<kind>``: contract columns as text, other columns as JSON."""
    contract = [f.name for f in CONTRACT[raw.kind or ""]]
    extras = [c for c in raw.columns if c not in contract]
    extra = pl.struct(extras).struct.json_encode() if extras else pl.lit(None, pl.String)
    return raw.frame.select(
        SOURCE_FILE,
        FILE_SHA256,
        ROW_NUMBER,
        *(pl.col(c) if c in raw.columns else pl.lit(None, pl.String).alias(c) for c in contract),
        extra.alias("extra_fields"),
        READ_ERROR,
        OVERFLOW,
    )


def _ledger_row(
    con: duckdb.DuckDBPyConnection, seen: SeenFile, columns: list[str], run_id: str
) -> None:
    con.execute(
        f"INSERT INTO {LEDGER} (file_name, sha256, kind, columns, rows_read, status, message, "
        "run_id, ingested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            seen.name,
            seen.sha256,
            seen.kind,
            columns,
            seen.rows_read,
            seen.status,
            seen.message or None,
            run_id,
            datetime.now(UTC),
        ],
    )


def _quarantine_file(
    con: duckdb.DuckDBPyConnection, path: Path, seen: SeenFile, folder: Path, run_id: str
) -> None:
    """Keep an unreadable file whole, beside the warehouse, under a name that can't collide."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{seen.sha256[:12]}_{path.name}"
    shutil.copyfile(path, target)
    con.execute(
        f"INSERT INTO {UNREADABLE} VALUES (?, ?, ?, ?, ?, ?, ?)",
        [seen.name, seen.sha256, seen.kind, seen.message, str(target), run_id, datetime.now(UTC)],
    )


@dataclass(frozen=True)
class StageOutcome:
    """One kind's validation this run: per-file verdicts and the staging table's size after."""

    kind: str
    results: list[FileValidation]
    staging_rows: int

    def total(self, attribute: str) -> int:
        """Sum of a per-file count: rows_read, rows_accepted, rows_rejected, duplicates, ..."""
        return sum(getattr(r, attribute) for r in self.results)


def stage_kind(con: duckdb.DuckDBPyConnection, kind: str, run_id: str) -> StageOutcome:
    """Validate the kind's pending files (oldest first), upsert staging, quarantine rejects."""
    prepare(con)
    pending = read_table(
        con,
        f"SELECT file_name, sha256, columns FROM {LEDGER} WHERE kind = ? "
        f"AND status = '{FileStatus.PENDING}' "
        "ORDER BY ingested_at, file_name",
        [kind],
    )
    if pending.is_empty():
        return StageOutcome(kind, [], count_rows(con, f"staging.{kind}"))
    files = [
        (name, raw_frame(con, kind, sha, cols), tuple(cols))
        for name, sha, cols in pending.select("file_name", "sha256", "columns").iter_rows()
    ]
    needs_reference = kind not in REFERENCE_KINDS and kind != "rates"
    batch = validate_kind(
        kind,
        files,
        load_staging(con, kind),
        nodes=load_staging(con, "nodes") if needs_reference else None,
        products=load_staging(con, "products") if needs_reference else None,
    )
    now = datetime.now(UTC)
    con.execute("BEGIN TRANSACTION")
    try:
        keys = list(KEYS[kind])
        changed = pl.concat([r.accepted.select(keys) for r in batch.results]).unique()
        replace_keys(con, kind, batch.staging.join(changed, on=keys, how="semi", nulls_equal=True))
        for sha, result in zip(pending["sha256"], batch.results, strict=True):
            _quarantine_rows(con, result, sha, run_id, now)
            _ledger_counts(con, sha, result, now)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return StageOutcome(kind, batch.results, batch.staging.height)


def raw_frame(
    con: duckdb.DuckDBPyConnection, kind: str, sha: str, columns: list[str]
) -> pl.DataFrame:
    """A recorded file back from ``raw.<kind>`` in the reader's shape (header columns in order)."""
    contract = {f.name for f in CONTRACT[kind]}
    extras = [c for c in columns if c not in contract]
    selected = [
        SOURCE_FILE,
        FILE_SHA256,
        ROW_NUMBER,
        *(c for c in columns if c in contract),
        "extra_fields",
        READ_ERROR,
        OVERFLOW,
    ]
    frame = read_table(
        con,
        f"SELECT {', '.join(quote(c) for c in selected)} FROM raw.{kind} "
        "WHERE file_sha256 = ? ORDER BY row_number",
        [sha],
    )
    if extras:
        struct = pl.Struct({e: pl.String() for e in extras})
        frame = frame.with_columns(pl.col("extra_fields").str.json_decode(struct).struct.unnest())
    return frame.select(SOURCE_FILE, FILE_SHA256, ROW_NUMBER, *columns, READ_ERROR, OVERFLOW)


def _quarantine_rows(
    con: duckdb.DuckDBPyConnection, result: FileValidation, sha: str, run_id: str, now: datetime
) -> None:
    rows = result.rejected.with_columns(
        pl.lit(sha).alias("file_sha256"),
        pl.lit(run_id).alias("run_id"),
        pl.lit(now).alias("quarantined_at"),
    )
    insert_frame(con, REJECTED, rows)


def _ledger_counts(
    con: duckdb.DuckDBPyConnection, sha: str, result: FileValidation, now: datetime
) -> None:
    con.execute(
        f"UPDATE {LEDGER} SET rows_accepted = ?, rows_rejected = ?, rows_duplicate = ?, "
        f"rows_amended = ?, status = '{FileStatus.OK}', validated_at = ?, duplicate_rows = ? "
        "WHERE sha256 = ?",
        [
            result.rows_accepted,
            result.rows_rejected,
            result.duplicates,
            result.amended,
            now,
            list(result.duplicate_rows),
            sha,
        ],
    )


def ledger_discrepancies(con: duckdb.DuckDBPyConnection, kind: str) -> pl.DataFrame:
    """Files of a kind whose books don't balance; empty when every row read is accounted for.

    Checks: read = accepted + rejected + duplicates; the raw table holds ``rows_read`` rows of
    the file; quarantine holds ``rows_rejected`` of them; nothing is left pending.
    """
    return read_table(
        con,
        f"""
        WITH raw_rows AS (SELECT file_sha256, count(*) AS n FROM raw.{kind} GROUP BY ALL),
             quarantined AS (SELECT file_sha256, count(*) AS n FROM {REJECTED} GROUP BY ALL)
        SELECT l.file_name, l.status, l.rows_read, l.rows_accepted, l.rows_rejected,
               l.rows_duplicate, coalesce(r.n, 0) AS rows_in_raw,
               coalesce(q.n, 0) AS rows_in_quarantine
        FROM {LEDGER} l
        LEFT JOIN raw_rows r ON r.file_sha256 = l.sha256
        LEFT JOIN quarantined q ON q.file_sha256 = l.sha256
        WHERE l.kind = ? AND l.status IN ('{FileStatus.OK}', '{FileStatus.PENDING}') AND (
            l.status = '{FileStatus.PENDING}'
            OR l.rows_read IS DISTINCT FROM l.rows_accepted + l.rows_rejected + l.rows_duplicate
            OR l.rows_read IS DISTINCT FROM coalesce(r.n, 0)
            OR l.rows_rejected IS DISTINCT FROM coalesce(q.n, 0))
        ORDER BY l.file_name
        """,
        [kind],
    )


def duplicate_row_numbers(con: duckdb.DuckDBPyConnection, shas: list[str]) -> pl.DataFrame:
    """sha256, row_number of every duplicate row of these files."""
    if not shas:
        return pl.DataFrame(schema={"sha256": pl.String(), "row_number": pl.Int64()})
    return read_table(
        con,
        f"SELECT sha256, unnest(duplicate_rows) AS row_number FROM {LEDGER} "
        "WHERE sha256 IN (SELECT unnest(?)) AND duplicate_rows IS NOT NULL ORDER BY ALL",
        [shas],
    ).cast({"sha256": pl.String(), "row_number": pl.Int64()})
