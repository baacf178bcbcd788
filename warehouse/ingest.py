"""Inbox -> ledger and raw tables; pending raw files -> staging and quarantine.

Two steps, so each is one Dagster asset (or group) and a failed validation leaves its files
``pending`` in the ledger for the next run instead of losing them. Idempotent: a file whose
sha256 is already in the ledger is skipped, so re-dropping it changes nothing.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

from contracts.faults import crash_point
from contracts.fields import CONTRACT
from contracts.inbox import (
    InboxEntry,
    InboxRules,
    display_name,
    inbox_entries,
    still_written,
    wait_until_quiet,
)
from contracts.intake import validate_kind
from contracts.kinds import KINDS, REFERENCE_KINDS, kind_of
from contracts.reading import (
    FILE_SHA256,
    LINE_COUNT,
    LINE_NUMBER,
    OVERFLOW,
    READ_ERROR,
    ROW_NUMBER,
    SOURCE_FILE,
    LineCount,
    RawFile,
    UnreadableFileError,
    read_partner_file,
)
from contracts.tables import KEYS
from contracts.validation import FileValidation
from contracts.vocabulary import FileStatus
from warehouse.connection import count_rows, insert_frame, quote, read_table, transaction
from warehouse.schema import LEDGER, REJECTED, UNREADABLE, prepare
from warehouse.staging import load_staging, replace_keys

QUARANTINE_FOLDER = "quarantine_files"


@dataclass(frozen=True)
class SeenFile:
    """One inbox file as the ledger recorded it this run."""

    name: str
    sha256: str
    kind: str | None
    status: str  # vocabulary.FileStatus: pending | unreadable | unknown_kind | refused
    rows_read: int | None = None
    message: str = ""


@dataclass
class InboxScan:
    """What one look at the inbox found: new files recorded, known ones skipped, files left
    for a later run because they were still being written (name, why)."""

    recorded: list[SeenFile] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    deferred: list[tuple[str, str]] = field(default_factory=list)

    def count(self, status: str) -> int:
        """How many newly recorded files have this status."""
        return sum(1 for f in self.recorded if f.status == status)


def ingest_inbox(
    con: duckdb.DuckDBPyConnection,
    inbox: Path,
    quarantine_dir: Path,
    run_id: str,
    rules: InboxRules | None = None,
) -> InboxScan:
    """Record every new inbox file: raw rows + a pending ledger row, or why it can't be read.

    One file's trouble is that file's ledger and quarantine entry (refused at the boundary,
    unreadable, or any error while taking it in); the rest of the inbox is still taken. Files
    still being written are left for a later run. Only a failure to record a file's trouble
    (the warehouse itself failing) stops the scan.
    """
    rules = rules or InboxRules.from_env()
    prepare(con)
    known = set(read_table(con, f"SELECT sha256 FROM {LEDGER}")["sha256"].to_list())
    scan = InboxScan()
    entries = inbox_entries(inbox, rules)
    wait_until_quiet(entries, rules)
    for entry in entries:
        sha: str | None = None
        try:
            sha = entry.identity()
            if sha in known:
                scan.skipped.append(entry.display_name)
                continue
            with transaction(con):
                seen = _record_entry(con, entry, sha, quarantine_dir, run_id, rules)
        except _Deferred as later:
            scan.deferred.append((entry.display_name, str(later)))
            continue
        except duckdb.Error:  # the warehouse failing (a full disk): the run's cause, and the
            raise  # file stays un-ledgered, so the next run takes it again
        except Exception as error:  # this file's trouble, not the inbox's
            seen = _record_failure(con, entry, sha, error, quarantine_dir, run_id)
        known.add(seen.sha256)
        scan.recorded.append(seen)
        crash_point("ingest.after_first_file")
    return scan


class _Deferred(Exception):
    """The file is still being written: a later run takes it."""


def _record_entry(
    con: duckdb.DuckDBPyConnection,
    entry: InboxEntry,
    sha: str,
    quarantine_dir: Path,
    run_id: str,
    rules: InboxRules,
) -> SeenFile:
    name, kind = entry.display_name, kind_of(entry.display_name)
    if entry.refusal is not None:
        seen = SeenFile(name, sha, kind, FileStatus.REFUSED, message=entry.refusal)
        _quarantine_entry(con, seen, None, run_id)
        _ledger_row(con, seen, [], run_id)
        return seen
    if kind is None:
        message = f"file name must start with one of: {', '.join(KINDS)}"
        seen = SeenFile(name, sha, None, FileStatus.UNKNOWN_KIND, message=message)
        _ledger_row(con, seen, [], run_id)
        return seen
    try:
        raw = read_partner_file(entry.path, sha)
    except UnreadableFileError as error:
        if (why := still_written(entry, rules)) is not None:
            raise _Deferred(why) from error
        seen = SeenFile(name, sha, kind, FileStatus.UNREADABLE, message=str(error))
        _quarantine_entry(con, seen, _keep_copy(entry.path, sha, quarantine_dir), run_id)
        _ledger_row(con, seen, [], run_id)
        return seen
    if (why := still_written(entry, rules)) is not None:
        raise _Deferred(why)
    insert_frame(con, f"raw.{kind}", raw_rows(raw))
    seen = SeenFile(name, sha, kind, FileStatus.PENDING, rows_read=raw.frame.height)
    _ledger_row(con, seen, list(raw.columns), run_id, raw.lines)
    return seen


def _record_failure(
    con: duckdb.DuckDBPyConnection,
    entry: InboxEntry,
    sha: str | None,
    error: Exception,
    quarantine_dir: Path,
    run_id: str,
) -> SeenFile:
    """Any error while taking one file in becomes its quarantine entry, with the real cause.

    sha: the file's identity if it was computed before the error (None: hashing failed)."""
    reason = f"could not be taken in: {type(error).__name__}: {error}"
    if sha is None:  # the file itself cannot be read: known by name, size and the reason
        sha = replace(entry, mtime_ns=0, refusal=reason).identity()
    seen = SeenFile(
        entry.display_name, sha, kind_of(entry.display_name), FileStatus.UNREADABLE, message=reason
    )
    try:
        copy = _keep_copy(entry.path, sha, quarantine_dir)
    except OSError as copy_error:
        copy = None
        seen = replace(seen, message=f"{reason}; not copied: {copy_error}")
    try:
        with transaction(con):
            _quarantine_entry(con, seen, copy, run_id)
            _ledger_row(con, seen, [], run_id)
    except Exception as ledger_error:  # the warehouse itself fails: that is the run's cause
        ledger_error.add_note(f"while recording why {entry.display_name} failed: {reason}")
        raise
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
        LINE_NUMBER,
        LINE_COUNT,
        READ_ERROR,
        OVERFLOW,
    )


def _ledger_row(
    con: duckdb.DuckDBPyConnection,
    seen: SeenFile,
    columns: list[str],
    run_id: str,
    lines: LineCount | None = None,
) -> None:
    con.execute(
        f"INSERT INTO {LEDGER} (file_name, sha256, kind, columns, rows_read, status, message, "
        "run_id, ingested_at, lines_read, lines_outside_records) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
            lines.read if lines else None,
            lines.outside_records if lines else None,
        ],
    )


def _keep_copy(path: Path, sha: str, folder: Path) -> Path:
    """An unreadable file kept whole beside the warehouse, under a short name that is safe on
    any file system (the original name is in the ledger)."""
    folder.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", display_name(path.name))[-80:]
    target = folder / f"{sha[:12]}_{safe}"
    shutil.copyfile(path, target, follow_symlinks=False)
    return target


def _quarantine_entry(
    con: duckdb.DuckDBPyConnection, seen: SeenFile, copy: Path | None, run_id: str
) -> None:
    con.execute(
        f"INSERT INTO {UNREADABLE} VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            seen.name,
            seen.sha256,
            seen.kind,
            seen.message,
            str(copy) if copy else None,
            run_id,
            datetime.now(UTC),
        ],
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
    with transaction(con):
        keys = list(KEYS[kind])
        changed = pl.concat([r.accepted.select(keys) for r in batch.results]).unique()
        replace_keys(con, kind, batch.staging.join(changed, on=keys, how="semi", nulls_equal=True))
        for sha, result in zip(pending["sha256"], batch.results, strict=True):
            _quarantine_rows(con, result, sha, run_id, now)
            _ledger_counts(con, sha, result, now)
        crash_point("stage.before_commit")
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
        LINE_NUMBER,
        LINE_COUNT,
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
    return frame.select(
        SOURCE_FILE,
        FILE_SHA256,
        ROW_NUMBER,
        *columns,
        LINE_NUMBER,
        LINE_COUNT,
        READ_ERROR,
        OVERFLOW,
    )


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
    the file; quarantine holds ``rows_rejected`` of them; nothing is left pending; and for a
    CSV, every physical line counted apart from the parser (``lines_read``) is the header, a
    blank line or in one of the file's rows (``line_count``): a swallowed line shows here.
    """
    return read_table(
        con,
        f"""
        WITH raw_rows AS (SELECT file_sha256, count(*) AS n, sum(line_count) AS lines
                          FROM raw.{kind} GROUP BY ALL),
             quarantined AS (SELECT file_sha256, count(*) AS n FROM {REJECTED} GROUP BY ALL)
        SELECT l.file_name, l.status, l.rows_read, l.rows_accepted, l.rows_rejected,
               l.rows_duplicate, coalesce(r.n, 0) AS rows_in_raw,
               coalesce(q.n, 0) AS rows_in_quarantine, l.lines_read,
               l.lines_outside_records + coalesce(r.lines, 0) AS lines_accounted
        FROM {LEDGER} l
        LEFT JOIN raw_rows r ON r.file_sha256 = l.sha256
        LEFT JOIN quarantined q ON q.file_sha256 = l.sha256
        WHERE l.kind = ? AND l.status IN ('{FileStatus.OK}', '{FileStatus.PENDING}') AND (
            l.status = '{FileStatus.PENDING}'
            OR l.rows_read IS DISTINCT FROM l.rows_accepted + l.rows_rejected + l.rows_duplicate
            OR l.rows_read IS DISTINCT FROM coalesce(r.n, 0)
            OR l.rows_rejected IS DISTINCT FROM coalesce(q.n, 0)
            OR (l.lines_read IS NOT NULL
                AND l.lines_read <> l.lines_outside_records + coalesce(r.lines, 0)))
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
