"""``omniroute validate``: every problem with file, row, column and rule; exit 0 / 1 / 2."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.cli import main

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    for name in (
        "nodes.csv",
        "products.csv",
        "orders_store.csv",
        "orders_marketplace.csv",
        "orders_marketplace_errors.csv",
    ):
        shutil.copy(SAMPLE / name, tmp_path / name)
    return tmp_path


def test_clean_files_exit_0(inbox, capsys):
    assert main(["validate", str(inbox / "nodes.csv"), str(inbox / "orders_store.csv")]) == 0
    out = capsys.readouterr().out
    assert "orders_store.csv (orders): 194 rows read, 194 accepted, 0 rejected" in out
    assert out.rstrip().endswith("clean")


def test_rejected_rows_exit_1_and_name_file_row_column_rule(inbox, capsys):
    assert main(["validate", *map(str, sorted(inbox.iterdir()))]) == 1
    out = capsys.readouterr().out
    errors = inbox / "orders_marketplace_errors.csv"
    assert f"{errors}: row 3: column quantity: rule integer: must be a whole number" in out
    assert f"{errors}: row 4: column sku: rule unknown_sku" in out
    assert f"{errors}: row 7: column pickup_node_id: rule pickup_not_supported" in out
    assert f"{errors}: row 12: column (record): rule field_count" in out
    assert "16 rows read, 2 accepted, 13 rejected, 1 duplicate(s), 1 amending" in out
    assert "note:" not in out  # nodes and products were given: every rule ran


def test_json_output_lists_every_problem(inbox, capsys):
    code = main(["validate", "--json", str(inbox / "orders_marketplace_errors.csv")])
    report = json.loads(capsys.readouterr().out)
    assert code == report["exit_code"] == 1
    (entry,) = report["files"]
    assert (
        entry["rows_read"]
        == entry["rows_accepted"] + entry["rows_rejected"] + entry["rows_duplicate"]
    )
    rules = {(p["row"], p["column"], p["rule"]) for p in entry["problems"]}
    assert (3, "quantity", "integer") in rules and (5, "channel", "enum") in rules
    assert all(p["file"].endswith("orders_marketplace_errors.csv") for p in entry["problems"])
    # Without nodes/products files the cross-file rules are skipped, and the report says so.
    assert (4, "sku", "unknown_sku") not in rules
    assert any("no products file" in note for note in report["notes"])


def test_unreadable_file_exits_2(tmp_path, capsys):
    bad = tmp_path / "orders_broken.parquet"
    bad.write_bytes(b"not parquet at all")
    assert main(["validate", str(bad)]) == 2
    assert "UNREADABLE: not a readable Parquet file" in capsys.readouterr().out


def test_missing_column_is_reported_once_per_file(tmp_path, capsys):
    path = tmp_path / "products.csv"
    path.write_text("sku,name,unit_cost\nSKU-1,Lamp,3\nSKU-2,Mug,2\n", encoding="utf-8")
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert out.count("rule missing_column") == 1
    assert "every row: column weight_kg: rule missing_column" in out


def test_console_command_exit_code_and_no_warehouse_written(inbox, tmp_path):
    warehouse = tmp_path / "never.duckdb"
    errors = inbox / "orders_marketplace_errors.csv"
    done = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "validate", str(errors)],
        capture_output=True,
        text=True,
        env={"OMNIROUTE_WAREHOUSE": str(warehouse), "PATH": ""},
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "rule timestamp" in done.stdout
    assert not warehouse.exists()


def test_a_100_kb_value_is_quoted_cut_never_whole(tmp_path, capsys):
    header = "order_id,line_no,customer_id,channel,sku,quantity,unit_price,ordered_at"
    huge = "x" * 100_000
    (tmp_path / "orders_huge.csv").write_text(
        f"{header}\nORD-1,1,{huge},web,SKU-1,1,9.5,2025-03-03\n", encoding="utf-8"
    )
    assert main(["validate", str(tmp_path / "orders_huge.csv")]) == 1
    out = capsys.readouterr().out
    assert "... (100,000 characters)" in out and huge not in out and len(out) < 5_000
    assert main(["validate", "--json", str(tmp_path / "orders_huge.csv")]) == 1
    problems = json.loads(capsys.readouterr().out)["files"][0]["problems"]
    long_one = next(p for p in problems if p["column"] == "customer_id")
    assert len(long_one["value"]) == 80 and long_one["value_length"] == 100_000
