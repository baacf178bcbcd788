"""Hypothesis-damaged CSVs: every physical line is the header, blank, or in exactly one row.

The damage partners' tools actually make: stray and missing quotes, bare CRs, NUL bytes,
dropped or doubled commas, lines cut short, quoted fields broken across lines. Whatever the
damage, the reader never raises for a file whose header survived, the rows cover the file's
lines without a gap or an overlap, and a line no damage touched comes back as its own row,
unless the damage around it left a record that reads as valid across lines.
"""

from __future__ import annotations

import csv
import io

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts.reading import read_partner_file

HEADER = ["order_id", "sku", "quantity", "note"]
CELL = st.text(alphabet='abcXYZ019 ,"\n-', max_size=8)
DAMAGE = st.sampled_from(['"', "\r", "\x00", ",", "", '""', "\n", '"\n'])


def _written(rows: list[list[str]]) -> str:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\n").writerows([HEADER, *rows])
    return buffer.getvalue()


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(st.lists(CELL, min_size=4, max_size=4), min_size=1, max_size=12))
def test_an_undamaged_file_round_trips(tmp_path_factory, rows):
    path = tmp_path_factory.mktemp("clean") / "orders.csv"
    path.write_text(_written(rows), encoding="utf-8", newline="")
    frame = read_partner_file(path).frame
    assert frame["read_error"].null_count() == frame.height
    assert frame.select(HEADER).rows() == [tuple(r) for r in rows]


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.lists(st.text(alphabet="abc019", max_size=5), min_size=4, max_size=4),
        min_size=1,
        max_size=15,
    ),
    damage=st.lists(st.tuples(st.integers(1, 10**6), DAMAGE), min_size=1, max_size=6),
    crlf=st.booleans(),
)
def test_every_physical_line_is_accounted_for(tmp_path_factory, rows, damage, crlf):
    text = _written(rows)
    header_end = text.index("\n") + 1
    body = list(text[header_end:])
    for position, insert in damage:
        body.insert(position % (len(body) + 1), insert)
    content = text[:header_end] + "".join(body)
    if crlf:
        content = content.replace("\n", "\r\n")
    path = tmp_path_factory.mktemp("damaged") / "orders.csv"
    path.write_bytes(content.encode())
    raw = read_partner_file(path)
    frame = raw.frame
    lines = content.encode().split(b"\n")
    physical = len(lines) - (1 if lines[-1] == b"" else 0)
    assert raw.lines.read == physical
    covered: list[int] = []
    for first, count in frame.select("line_number", "line_count").iter_rows():
        covered.extend(range(first, first + count))
    assert len(covered) == len(set(covered)), "a line is in two rows"
    outside = set(range(1, physical + 1)) - {1} - set(covered)
    assert all(lines[n - 1] in (b"", b"\r") for n in outside), "a line is in no row"
    assert raw.lines.outside_records == 1 + len(outside)
    assert frame["row_number"].to_list() == list(range(1, frame.height + 1))
    broken = frame.filter(pl.col("read_error").is_not_null())
    assert broken["read_error"].str.contains(r"\bline \d+").all()
