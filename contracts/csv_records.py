"""Strict CSV records that account for every physical line of a file.

A partner's CSV is cut into physical lines first (LF or CRLF; a file with only CR line ends
is cut at CR) and every line ends up in exactly one place: the header, a blank line, or one
record. A record is normally one line; a quoted field may span lines (RFC 4180), but only
while the record that results has the header's width and spans at most ``MAX_RECORD_LINES``
lines. Otherwise the opening quote was a stray one: that line alone becomes a rejected
record ("unclosed quote starting at line 4") and reading resumes on the next line, so one
stray quote costs one row, never the rest of the file. Bare CRs outside quotes, NUL bytes and
misplaced quotes make their record a rejected one too. Line numbers are 1-based physical
lines of the file (the header is usually line 1); row numbers are 1-based data records.

The quoted cases go through the C ``csv`` module in strict mode, one record at a time; plain
lines (no quote, CR or NUL, the common case) are split directly.
"""

from __future__ import annotations

import csv
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from contracts.hints import encoding_hint

csv.field_size_limit(sys.maxsize)  # long cells are the validator's business (max_length)

MAX_RECORD_LINES = 32  # a quoted field open longer than this is a stray quote
BLOCK_BYTES = 1 << 20  # read at a time; the line-end rule looks at the first block


class NotUtf8Error(ValueError):
    """A line of the file is not UTF-8: the file as a whole cannot be trusted."""


@dataclass(frozen=True)
class CsvRecord:
    """One record: its lines, its fields (as written) and, if broken, ``rule: message``."""

    first_line: int
    line_count: int
    fields: list[str]
    error: str | None = None


def line_separator(head: bytes) -> bytes:
    """LF (CRLF is LF with a CR to drop), unless the file's first block has CRs and no LF."""
    return b"\n" if b"\n" in head or b"\r" not in head else b"\r"


def physical_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, text without its line end) for every physical line, streamed."""
    with open(path, "rb") as handle:
        head = handle.read(BLOCK_BYTES)
        separator = line_separator(head)
        pending = head
        number = 0
        offset = 0
        while True:
            *complete, pending = pending.split(separator)
            for raw in complete:
                number += 1
                yield number, _decode(raw, separator, number, offset, first=number == 1)
                offset += len(raw) + 1
            block = handle.read(BLOCK_BYTES)
            if not block:
                break
            pending += block
        if pending:
            number += 1
            yield number, _decode(pending, separator, number, offset, first=number == 1)


def physical_line_count(path: Path) -> int:
    """Physical lines of the file by the same line-end rule, counted apart from the
    parser (the ledger's own check that no line was swallowed)."""
    with open(path, "rb") as handle:
        head = handle.read(BLOCK_BYTES)
        separator = line_separator(head)
        count, last = head.count(separator), head[-1:]
        for block in iter(lambda: handle.read(BLOCK_BYTES), b""):
            count, last = count + block.count(separator), block[-1:]
    return count + (1 if last and last != separator else 0)


def _decode(raw: bytes, separator: bytes, number: int, offset: int, first: bool) -> str:
    if separator == b"\n" and raw.endswith(b"\r"):
        raw = raw[:-1]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        hint = encoding_hint(raw, error.start)
        raise NotUtf8Error(
            f"not UTF-8 (invalid byte at offset {offset + error.start}, line {number}); {hint}"
        ) from error
    return text.removeprefix("\ufeff") if first else text  # a byte-order mark is accepted


@dataclass
class BlankLines:
    """Blank lines skipped between records (a blank line inside a quoted field is the field's)."""

    count: int = 0


def csv_records(
    lines: Iterable[tuple[int, str]], width: int | None, blanks: BlankLines | None = None
) -> Iterator[CsvRecord]:
    """Records of the lines; ``width`` the header's (None while reading the header itself).

    Blank lines yield no record (and are counted in ``blanks``); every other line is in
    exactly one record.
    """
    blanks = blanks if blanks is not None else BlankLines()
    source = iter(lines)
    again: deque[tuple[int, str]] = deque()  # lines to read once more after a stray quote

    def next_line() -> tuple[int, str] | None:
        return again.popleft() if again else next(source, None)

    while (item := next_line()) is not None:
        number, text = item
        if not text:
            blanks.count += 1
            continue
        if '"' not in text and "\r" not in text and "\0" not in text:
            yield _sized(CsvRecord(number, 1, text.split(",")), width)
            continue
        fields, problem = _parse(text)
        if problem != "open":
            yield _checked(number, [text], fields, problem, width)
            continue
        taken = [item]
        while len(taken) < MAX_RECORD_LINES and (more := next_line()) is not None:
            taken.append(more)
            fields, problem = _parse("\n".join(t for _, t in taken))
            if problem != "open":
                break
        if problem is None and (width is None or len(fields) == width):
            yield _checked(number, [t for _, t in taken], fields, None, width)
            continue
        reason = "unclosed_quote: unclosed quote starting at line"
        yield CsvRecord(number, 1, text.split(","), f"{reason} {number}")
        again.extendleft(reversed(taken[1:]))


def _parse(text: str) -> tuple[list[str], str | None]:
    """Fields of one record's text, or the problem: ``open`` (a quote runs past the end)."""
    try:
        return next(csv.reader([text], strict=True)), None
    except StopIteration:
        return [], None
    except csv.Error as error:
        message = str(error)
        if "unexpected end of data" in message:
            return [], "open"
        if "new-line" in message:
            return [], "bare_cr: a carriage return (CR) inside an unquoted field"
        return [], f"misplaced_quote: a quote inside a field ({message})"


def _checked(
    number: int, taken: list[str], fields: list[str], problem: str | None, width: int | None
) -> CsvRecord:
    text = "\n".join(taken)
    if problem is None and "\0" in text:
        problem = "nul_byte: a NUL byte in the record"
    if problem is not None:
        rule, message = problem.split(": ", 1)
        return CsvRecord(number, len(taken), text.split(","), f"{rule}: {message} at line {number}")
    return _sized(CsvRecord(number, len(taken), fields), width)


def _sized(record: CsvRecord, width: int | None) -> CsvRecord:
    if width is None or len(record.fields) == width:
        return record
    message = f"record has {len(record.fields)} fields, the header has {width}"
    return CsvRecord(
        record.first_line,
        record.line_count,
        record.fields,
        f"field_count: {message} (line {record.first_line})",
    )
