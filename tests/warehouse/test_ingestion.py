"""Inbox -> ledger, raw, staging and quarantine in a real DuckDB file (no Dagster)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import polars as pl
import pytest

from contracts.kinds import KINDS
from contracts.tables import STAGING_SCHEMAS
from tests.contracts.partner_rows import row, write_csv
from warehouse.ingest import ingest_inbox, ledger_discrepancies, stage_kind
from warehouse.staging import load_staging


def stage_all(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    for kind in KINDS:
        stage_kind(con, kind, run_id)


def snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, list]:
    """Every ingestion table's rows, to compare a warehouse before and after."""
    tables = con.sql(
        "SELECT schema_name || '.' || table_name FROM duckdb_tables() "
        "WHERE schema_name IN ('raw', 'staging', 'quarantine') ORDER BY 1"
    ).fetchall()
    return {t: sorted(map(str, con.sql(f"SELECT * FROM {t}").fetchall())) for (t,) in tables}


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    write_csv(
        folder / "nodes.csv",
        [row("nodes"), row("nodes", node_id="DC-1", node_type="dc", supports_pickup="false")],
    )
    write_csv(folder / "products.csv", [row("products"), row("products", sku="SKU-2")])
    orders = [
        {**row("orders"), "gift_note": "happy birthday"},
        {**row("orders", order_id="ORD-2", quantity="1.5"), "gift_note": ""},
        {**row("orders", order_id="ORD-3", sku="SKU-2"), "gift_note": ""},
    ]
    write_csv(folder / "orders_web.csv", orders)
    (folder / "stock.csv").write_bytes("node_id\nSt\xf6ck\n".encode("latin-1"))
    (folder / "inventory.csv").write_text("a\n1\n", encoding="utf-8")
    (folder / ".hidden.csv").write_text("ignored", encoding="utf-8")
    return folder


def test_ingest_then_stage_keeps_the_books_balanced(tmp_path, inbox):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        scan = ingest_inbox(con, inbox, tmp_path / "quarantine_files", "run-1")
        assert {f.name: f.status for f in scan.recorded} == {
            "nodes.csv": "pending",
            "products.csv": "pending",
            "stock.csv": "unreadable",
            "orders_web.csv": "pending",
            "inventory.csv": "unknown_kind",
        }
        stage_all(con, "run-1")
        ledger = con.sql(
            "SELECT file_name, status, rows_read, rows_accepted, rows_rejected, rows_duplicate "
            "FROM raw.file_ledger WHERE status = 'ok' ORDER BY file_name"
        ).fetchall()
        assert ledger == [
            ("nodes.csv", "ok", 2, 2, 0, 0),
            ("orders_web.csv", "ok", 3, 2, 1, 0),
            ("products.csv", "ok", 2, 2, 0, 0),
        ]
        orders = load_staging(con, "orders")
        assert dict(orders.select(list(STAGING_SCHEMAS["orders"])).schema) == dict(
            STAGING_SCHEMAS["orders"]
        )
        assert sorted(orders["order_id"]) == ["ORD-1", "ORD-3"]  # SKU-2 came in the same run
        extra = con.sql("SELECT extra_fields FROM raw.orders WHERE row_number = 1").fetchall()
        assert json.loads(extra[0][0]) == {"gift_note": "happy birthday"}
        ((record, reasons),) = con.sql(
            "SELECT record, reasons FROM quarantine.rejected_rows"
        ).fetchall()
        assert json.loads(record)["quantity"] == "1.5"
        assert [r["rule"] for r in reasons] == ["integer"]
        ((copied,),) = con.sql(
            "SELECT quarantined_path FROM quarantine.unreadable_files"
        ).fetchall()
        assert Path(copied).read_bytes() == (inbox / "stock.csv").read_bytes()
        for kind in KINDS:
            assert ledger_discrepancies(con, kind).is_empty()


def test_the_same_files_twice_change_nothing(tmp_path, inbox):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        ingest_inbox(con, inbox, tmp_path / "q", "run-1")
        stage_all(con, "run-1")
        before = snapshot(con)
        scan = ingest_inbox(con, inbox, tmp_path / "q", "run-2")
        stage_all(con, "run-2")
        assert scan.recorded == [] and len(scan.skipped) == 5
        assert snapshot(con) == before


def test_a_later_file_amends_and_the_earlier_version_stays_in_raw(tmp_path, inbox):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        ingest_inbox(con, inbox, tmp_path / "q", "run-1")
        stage_all(con, "run-1")
        write_csv(
            inbox / "orders_web_fix.csv",
            [row("orders", quantity="9"), row("orders", order_id="ORD-3", sku="SKU-2")],
        )
        ingest_inbox(con, inbox, tmp_path / "q", "run-2")
        stage_all(con, "run-2")
        staged = (
            load_staging(con, "orders").filter(pl.col("order_id") == "ORD-1").row(0, named=True)
        )
        assert staged["quantity"] == 9 and staged["source_file"] == "orders_web_fix.csv"
        versions = con.sql(
            "SELECT quantity FROM raw.orders WHERE order_id = 'ORD-1' ORDER BY source_file"
        ).fetchall()
        assert versions == [("2",), ("9",)]
        counts = con.sql(
            "SELECT rows_accepted, rows_duplicate, rows_amended FROM raw.file_ledger "
            "WHERE file_name = 'orders_web_fix.csv'"
        ).fetchall()
        assert counts == [(1, 1, 1)]


def test_unbalanced_books_and_unvalidated_files_are_reported(tmp_path, inbox):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        ingest_inbox(con, inbox, tmp_path / "q", "run-1")
        assert ledger_discrepancies(con, "orders")["status"].to_list() == ["pending"]
        stage_all(con, "run-1")
        con.execute(
            "UPDATE raw.file_ledger SET rows_accepted = 3 WHERE file_name = 'orders_web.csv'"
        )
        assert ledger_discrepancies(con, "orders")["file_name"].to_list() == ["orders_web.csv"]
