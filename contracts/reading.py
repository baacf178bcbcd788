"""Reading a partner file (CSV or Parquet) into an all-string raw frame, losing no record.

Every data record becomes one row with its 1-based ``row_number`` (data records: the header
and blank lines are not rows) and, for CSV, the physical ``line_number`` it starts on and its
``line_count``. A broken CSV record (wrong field count, stray quote, bare CR, NUL) is kept as
a row with a ``read_error`` (``rule: message``, the message naming the line) so validation
rejects it rather than the reader crash or swallow it; ``LineCount`` lets the ledger prove
that every physical line is the header, blank, or in a record. A file that cannot be read at
all raises ``UnreadableFileError``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from contracts.csv_records import (
    BLOCK_BYTES,
    BlankLines,
    CsvRecord,
    NotUtf8Error,
    csv_records,
    physical_line_count,
    physical_lines,
)
from contracts.hints import UTF16_WITHOUT_BOM, utf16_without_bom
from contracts.kinds import PARTNER_FILE_SUFFIXES, kind_of

# Columns the reader adds; a partner column with one of these names is renamed "<name>_partner".
SOURCE_FILE, FILE_SHA256, ROW_NUMBER, READ_ERROR, OVERFLOW = (
    "source_file",
    "file_sha256",
    "row_number",
    "read_error",
    "overflow",
)
LINE_NUMBER, LINE_COUNT = "line_number", "line_count"
RESERVED = frozenset(
    {SOURCE_FILE, ROW_NUMBER, READ_ERROR, OVERFLOW, FILE_SHA256, LINE_NUMBER, LINE_COUNT}
    | {"extra_fields"}
)
CHUNK_RECORDS = 20_000  # records turned into columns at a time: bounds the reader's memory


class UnreadableFileError(Exception):
    """The file cannot be read at all (empty, not UTF-8, corrupt Parquet, unsupported type)."""


@dataclass(frozen=True)
class LineCount:
    """A CSV's physical lines, and those in no record (blank lines and the header).

    read == outside_records + the sum of the records' ``line_count``: the ledger's proof that
    no line was swallowed.
    """

    read: int
    outside_records: int


@dataclass(frozen=True)
class RawFile:
    """A partner file as read: header, every record as strings, and the file's identity.

    frame: ``source_file``, ``file_sha256``, ``row_number`` (Int64), one String column per
    header column (in file order, names stripped and lower-cased), ``line_number`` and
    ``line_count`` (Int64, null for Parquet), ``read_error`` (null unless the record is
    broken) and ``overflow`` (JSON list of surplus fields, or null).
    lines: the CSV's physical lines (None for Parquet).
    """

    path: Path
    kind: str | None
    sha256: str
    columns: tuple[str, ...]
    frame: pl.DataFrame
    lines: LineCount | None = None

    @property
    def name(self) -> str:
        """The file name partners and the ledger know it by."""
        return self.path.name


def file_sha256(path: Path) -> str:
    """Content hash: the ledger's identity of a file (same bytes = same file)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(BLOCK_BYTES), b""):
            digest.update(block)
    return digest.hexdigest()


def read_partner_file(path: Path, sha256: str | None = None) -> RawFile:
    """Read a CSV or Parquet partner file; raise UnreadableFileError if it cannot be read."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in PARTNER_FILE_SUFFIXES:
        raise UnreadableFileError(
            f"unsupported file type {suffix or '(none)'!r}: use .csv or .parquet"
        )
    if path.stat().st_size == 0:
        raise UnreadableFileError("empty file (0 bytes)")
    lines: LineCount | None = None
    if suffix == ".csv":
        columns, frame, lines = _read_csv(path)
    else:
        columns, frame = _read_parquet(path)
    sha256 = sha256 or file_sha256(path)
    frame = frame.select(
        pl.lit(path.name).alias(SOURCE_FILE),
        pl.lit(sha256).alias(FILE_SHA256),
        pl.col(ROW_NUMBER).cast(pl.Int64),
        *columns,
        pl.col(LINE_NUMBER).cast(pl.Int64),
        pl.col(LINE_COUNT).cast(pl.Int64),
        pl.col(READ_ERROR).cast(pl.String),
        pl.col(OVERFLOW).cast(pl.String),
    )
    return RawFile(path, kind_of(path), sha256, tuple(columns), frame, lines)


def normalize_header(names: list[str]) -> list[str]:
    """Stripped, lower-cased, unique, non-empty column names (duplicates get ``__2``, ...)."""
    result: list[str] = []
    for position, raw in enumerate(names, start=1):
        name = raw.strip().lower() or f"column_{position}"
        if name in RESERVED:
            name = f"{name}_partner"
        candidate, copy = name, 1
        while candidate in result:
            copy += 1
            candidate = f"{name}__{copy}"
        result.append(candidate)
    return result


def _read_csv(path: Path) -> tuple[list[str], pl.DataFrame, LineCount]:
    """Strict records (``csv_records``), built into columns a chunk at a time (memory)."""
    lines = physical_lines(path)
    try:
        header = next(csv_records(lines, None), None)
        if header is None:
            raise UnreadableFileError("no header row")
        if header.error is not None:
            problem = header.error.split(": ", 1)[1]
            if utf16_without_bom(",".join(header.fields)):
                problem += f"; {UTF16_WITHOUT_BOM}"
            raise UnreadableFileError(f"bad header row: {problem}")
        columns = normalize_header(header.fields)
        chunks: list[pl.DataFrame] = []
        outside = header.first_line + header.line_count - 1  # blank lines before, the header
        blanks = BlankLines()
        batch: list[CsvRecord] = []
        for record in csv_records(lines, len(columns), blanks):
            batch.append(record)
            if len(batch) == CHUNK_RECORDS:
                chunks.append(_csv_frame(columns, batch, sum(c.height for c in chunks)))
                batch = []
        chunks.append(_csv_frame(columns, batch, sum(c.height for c in chunks)))
    except NotUtf8Error as error:
        raise UnreadableFileError(str(error)) from error
    return columns, pl.concat(chunks), LineCount(physical_line_count(path), outside + blanks.count)


def _cut(fields: list[str], width: int) -> list[str | None]:
    return [*fields[:width], *([None] * (width - len(fields)))]


def _csv_frame(columns: list[str], records: list[CsvRecord], before: int) -> pl.DataFrame:
    """Records column-wise: good ones as they are, broken ones padded or cut to the header."""
    width = len(columns)
    cells = [_cut(r.fields, width) if r.error else r.fields for r in records]
    schema = {c: pl.String for c in columns}
    body = pl.DataFrame(
        list(zip(*cells, strict=True)) if cells else None, schema=schema, orient="col"
    )
    return body.with_columns(
        pl.int_range(before + 1, before + len(records) + 1, dtype=pl.Int64).alias(ROW_NUMBER),
        pl.Series(LINE_NUMBER, [r.first_line for r in records], dtype=pl.Int64),
        pl.Series(LINE_COUNT, [r.line_count for r in records], dtype=pl.Int64),
        pl.Series(READ_ERROR, [r.error for r in records], dtype=pl.String),
        pl.Series(
            OVERFLOW,
            [
                json.dumps(r.fields[width:]) if r.error and len(r.fields) > width else None
                for r in records
            ],
            dtype=pl.String,
        ),
    )


def _read_parquet(path: Path) -> tuple[list[str], pl.DataFrame]:
    """Typed Parquet columns become the strings a CSV would carry (ISO timestamps, UTC)."""
    try:
        frame = pl.read_parquet(path)
    except Exception as error:  # polars raises several error types for corrupt files
        raise UnreadableFileError(f"not a readable Parquet file: {error}") from error
    columns = normalize_header(frame.columns)
    frame = frame.rename(dict(zip(frame.columns, columns, strict=True)))
    frame = frame.select([_as_text(frame, c) for c in columns]).with_columns(
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(ROW_NUMBER),
        pl.lit(None, pl.Int64).alias(LINE_NUMBER),
        pl.lit(None, pl.Int64).alias(LINE_COUNT),
        pl.lit(None, pl.String).alias(READ_ERROR),
        pl.lit(None, pl.String).alias(OVERFLOW),
    )
    return columns, frame


def _as_text(frame: pl.DataFrame, column: str) -> pl.Expr:
    """One Parquet column as text: timestamps in ISO 8601, nested values as JSON."""
    dtype = frame.schema[column]
    col = pl.col(column)
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is None:
            return col.dt.to_string("%Y-%m-%dT%H:%M:%S%.f").alias(column)
        return col.dt.convert_time_zone("UTC").dt.to_string("%Y-%m-%dT%H:%M:%S%.fZ").alias(column)
    if isinstance(dtype, pl.Struct):
        return col.struct.json_encode().alias(column)
    if isinstance(dtype, pl.List | pl.Array | pl.Object | pl.Binary):
        return col.map_elements(_to_json, return_dtype=pl.String).alias(column)
    return col.cast(pl.String).alias(column)


def _to_json(value: object) -> str:
    """Fallback text form of an odd Parquet value (lists, binary): readable and lossless enough."""
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, pl.Series):
        value = value.to_list()
    return json.dumps(value, default=str)
