"""Reading partner files: every record kept with its row number, unreadable files refused."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest

from contracts.kinds import kind_of, processing_order
from contracts.reading import UnreadableFileError, normalize_header, read_partner_file


def test_kind_comes_from_the_name_prefix():
    assert kind_of("orders_web_2025-03-03.csv") == "orders"
    assert kind_of("/in/Stock.parquet") == "stock"
    assert kind_of("inventory.csv") is None
    names = ["orders_b.csv", "stock.csv", "orders_a.csv", "nodes.csv", "x.csv", "products.csv"]
    assert processing_order(names) == [
        "nodes.csv",
        "products.csv",
        "stock.csv",
        "orders_a.csv",
        "orders_b.csv",
        "x.csv",
    ]


def test_bom_header_and_row_numbers(tmp_path):
    path = tmp_path / "nodes.csv"
    path.write_bytes("\ufeffNode_ID , name\nST-1,a\n\nST-2,b\n".encode())
    raw = read_partner_file(path)
    assert raw.columns == ("node_id", "name")
    assert raw.frame["row_number"].to_list() == [1, 2]  # data records: a blank line is none
    assert raw.frame["line_number"].to_list() == [2, 4]  # physical lines of the file
    assert raw.frame["node_id"].to_list() == ["ST-1", "ST-2"]
    assert (raw.lines.read, raw.lines.outside_records) == (4, 2)  # header and the blank
    assert raw.kind == "nodes" and len(raw.sha256) == 64


def test_ragged_records_are_kept_as_rows_with_a_read_error(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text('a,b,c\n1,2,3\n4,5\n6,7,8,9\n"x\ny",,\n', encoding="utf-8")
    frame = read_partner_file(path).frame
    assert frame["row_number"].to_list() == [1, 2, 3, 4]
    assert frame["read_error"].to_list() == [
        None,
        "field_count: record has 2 fields, the header has 3 (line 3)",
        "field_count: record has 4 fields, the header has 3 (line 4)",
        None,
    ]
    assert frame["line_count"].to_list() == [1, 1, 1, 2]
    assert json.loads(frame["overflow"][2]) == ["9"]
    assert frame["a"][3] == "x\ny"  # a quoted newline is one record, not two


def test_header_only_file_has_no_rows(tmp_path):
    path = tmp_path / "rates.csv"
    path.write_text("service_level,max_distance_km\n", encoding="utf-8")
    raw = read_partner_file(path)
    assert raw.frame.height == 0 and raw.columns == ("service_level", "max_distance_km")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("orders.csv", b"", "empty file"),
        ("orders.csv", "order_id\nC\xf6ln\n".encode("latin-1"), "not UTF-8"),
        ("orders.csv", b"\n\n", "no header"),
        ("orders.parquet", b"PAR1 not really parquet", "Parquet"),
        ("orders.xlsx", b"whatever", "unsupported file type"),
    ],
)
def test_unreadable_files_raise_a_typed_error(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UnreadableFileError, match=message):
        read_partner_file(path)


def test_parquet_columns_become_the_text_a_csv_would_hold(tmp_path):
    path = tmp_path / "orders.parquet"
    pl.DataFrame(
        {
            "Quantity": [3.0, 2.5],
            "at_utc": [dt.datetime(2025, 3, 3, 10, tzinfo=dt.UTC)] * 2,
            "at_naive": [dt.datetime(2025, 3, 3, 10, 30)] * 2,
            "flag": [True, None],
            "tags": [["a"], ["b", "c"]],
        }
    ).write_parquet(path)
    frame = read_partner_file(path).frame
    assert frame["quantity"].to_list() == ["3.0", "2.5"]
    assert frame["at_utc"][0] == "2025-03-03T10:00:00Z"
    assert frame["at_naive"][0] == "2025-03-03T10:30:00"
    assert frame["flag"].to_list() == ["true", None]
    assert json.loads(frame["tags"][1]) == ["b", "c"]
    assert frame["row_number"].to_list() == [1, 2]


def test_header_names_are_made_unique_and_never_clash_with_ours():
    assert normalize_header([" SKU", "sku", "", "row_number"]) == [
        "sku",
        "sku__2",
        "column_3",
        "row_number_partner",
    ]


def test_a_stray_quote_costs_its_own_row_not_the_rest_of_the_file(tmp_path):
    """The reported defect: a stray opening quote in row 3 of 10 swallowed rows 3 to 10."""
    lines = ["order_id,sku,quantity"] + [f"ORD-{i},SKU-{i},{i}" for i in range(1, 11)]
    lines[3] = 'ORD-3,"SKU-3,3'
    path = tmp_path / "orders.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    raw = read_partner_file(path)
    frame = raw.frame
    assert frame.height == 10
    assert frame["order_id"].to_list() == [f"ORD-{i}" for i in range(1, 11)]
    broken = frame.filter(pl.col("read_error").is_not_null())
    assert broken["row_number"].to_list() == [3]
    assert broken["read_error"][0] == "unclosed_quote: unclosed quote starting at line 4"
    assert raw.lines.read == 11 and raw.lines.outside_records + frame["line_count"].sum() == 11


def test_bare_cr_nul_and_misplaced_quotes_reject_their_record_only(tmp_path):
    path = tmp_path / "orders.csv"
    content = 'a,b,c\r\n1,x\ry,3\r\n2,"p\r\nq",3\r\n3,\x00,3\r\n4,"z"w,3\r\n5,ok,3\r\n'
    path.write_bytes(content.encode())
    frame = read_partner_file(path).frame
    assert frame["row_number"].to_list() == [1, 2, 3, 4, 5]  # the bare CR split nothing
    assert frame["line_number"].to_list() == [2, 3, 5, 6, 7]
    rules = [e.split(":")[0] if e else None for e in frame["read_error"].to_list()]
    assert rules == ["bare_cr", None, "nul_byte", "misplaced_quote", None]
    assert frame["b"][1] == "p\nq"  # a quoted CRLF is part of the field


def test_a_file_with_only_cr_line_ends_is_read_line_by_line(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_bytes(b"a,b\r1,2\r3,4\r")
    raw = read_partner_file(path)
    assert raw.frame["a"].to_list() == ["1", "3"] and raw.lines.read == 3
