"""Reading a partner file (CSV or Parquet) into an all-string raw frame, losing no record.

Every data record becomes one row with its 1-based ``row_number``; a CSV record with too
many or too few fields is kept as a row with a ``read_error`` so validation can reject it
rather than the reader crash. A file that cannot be read at all raises ``UnreadableFileError``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from contracts.kinds import PARTNER_FILE_SUFFIXES, kind_of

# Columns the reader adds; a partner column with one of these names is renamed "<name>_partner".
SOURCE_FILE, FILE_SHA256, ROW_NUMBER, READ_ERROR, OVERFLOW = (
    "source_file",
    "file_sha256",
    "row_number",
    "read_error",
    "overflow",
)
RESERVED = frozenset({SOURCE_FILE, ROW_NUMBER, READ_ERROR, OVERFLOW, FILE_SHA256, "extra_fields"})

csv.field_size_limit(
    sys.maxsize
)  # long cells are the validator's business (max_length), not a crash


class UnreadableFileError(Exception):
    """The file cannot be read at all (empty, not UTF-8, corrupt Parquet, unsupported type)."""


@dataclass(frozen=True)
class RawFile:
    """A partner file as read: header, every record as strings, and the file's identity.

    frame: ``source_file``, ``file_sha256``, ``row_number`` (Int64), one String column per
    header column (in
    file order, names stripped and lower-cased), ``read_error`` (null unless the record is
    ragged) and ``overflow`` (JSON list of surplus fields, or null).
    """

    path: Path
    kind: str | None
    sha256: str
    columns: tuple[str, ...]
    frame: pl.DataFrame

    @property
    def name(self) -> str:
        """The file name partners and the ledger know it by."""
        return self.path.name


def file_sha256(path: Path) -> str:
    """Content hash: the ledger's identity of a file (same bytes = same file)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
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
    columns, frame = _read_csv(path) if suffix == ".csv" else _read_parquet(path)
    sha256 = sha256 or file_sha256(path)
    frame = frame.select(
        pl.lit(path.name).alias(SOURCE_FILE),
        pl.lit(sha256).alias(FILE_SHA256),
        pl.col(ROW_NUMBER).cast(pl.Int64),
        *columns,
        pl.col(READ_ERROR).cast(pl.String),
        pl.col(OVERFLOW).cast(pl.String),
    )
    return RawFile(path, kind_of(path), sha256, tuple(columns), frame)


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


def _read_csv(path: Path) -> tuple[list[str], pl.DataFrame]:
    """Parse with the csv module so ragged records are seen (and kept), not guessed around."""
    try:
        text = path.read_bytes().decode("utf-8-sig")  # -sig: a byte-order mark is accepted
    except UnicodeDecodeError as error:
        raise UnreadableFileError(f"not UTF-8 (invalid byte at offset {error.start})") from error
    try:
        records = csv.reader(io.StringIO(text, newline=""))
        header = next((r for r in records if r), None)
        if header is None:
            raise UnreadableFileError("no header row")
        columns = normalize_header(header)
        width = len(columns)
        good: list[list[str]] = []
        good_numbers: list[int] = []
        ragged: list[tuple[int, list[str]]] = []
        for number, record in enumerate(records, start=1):
            if not record:  # a blank line holds no record; it keeps its row number
                continue
            if len(record) == width:
                good.append(record)
                good_numbers.append(number)
            else:
                ragged.append((number, record))
    except csv.Error as error:
        raise UnreadableFileError(f"malformed CSV: {error}") from error
    return columns, _csv_frame(columns, good, good_numbers, ragged)


def _csv_frame(
    columns: list[str],
    good: list[list[str]],
    good_numbers: list[int],
    ragged: list[tuple[int, list[str]]],
) -> pl.DataFrame:
    """Well-formed records column-wise (fast), ragged ones padded or cut, in row order."""
    schema = {c: pl.String for c in columns}
    body = pl.DataFrame(
        list(zip(*good, strict=True)) if good else None, schema=schema, orient="col"
    )
    body = body.with_columns(
        pl.Series(ROW_NUMBER, good_numbers, dtype=pl.Int64),
        pl.lit(None, pl.String).alias(READ_ERROR),
        pl.lit(None, pl.String).alias(OVERFLOW),
    )
    if not ragged:
        return body
    width = len(columns)
    rows = [
        {
            **dict(zip(columns, record[:width], strict=False)),
            ROW_NUMBER: number,
            READ_ERROR: f"record has {len(record)} fields, the header has {width}",
            OVERFLOW: json.dumps(record[width:]) if len(record) > width else None,
        }
        for number, record in ragged
    ]
    bad = pl.DataFrame(
        rows, schema={**schema, ROW_NUMBER: pl.Int64, READ_ERROR: pl.String, OVERFLOW: pl.String}
    )
    return pl.concat([body, bad.select(body.columns)]).sort(ROW_NUMBER)


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
