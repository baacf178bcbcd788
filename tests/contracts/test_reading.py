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
    assert raw.frame["row_number"].to_list() == [1, 3]  # the blank line keeps its number
    assert raw.frame["node_id"].to_list() == ["ST-1", "ST-2"]
    assert raw.kind == "nodes" and len(raw.sha256) == 64


def test_ragged_records_are_kept_as_rows_with_a_read_error(tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text('a,b,c\n1,2,3\n4,5\n6,7,8,9\n"x\ny",,\n', encoding="utf-8")
    frame = read_partner_file(path).frame
    assert frame["row_number"].to_list() == [1, 2, 3, 4]
    assert frame["read_error"].to_list() == [
        None,
        "record has 2 fields, the header has 3",
        "record has 4 fields, the header has 3",
        None,
    ]
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
