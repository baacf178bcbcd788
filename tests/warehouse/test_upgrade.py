"""A warehouse made by the version before supply, daily capacity and returns still opens:
its tables gain the new columns (nothing is dropped) and the new kinds get their tables."""

from __future__ import annotations

import duckdb

from warehouse.book import prepare_book
from warehouse.schema import prepare


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    return {row[0] for row in con.execute(f"DESCRIBE {table}").fetchall()}


def test_an_older_warehouse_gains_the_new_columns_and_tables(tmp_path):
    con = duckdb.connect(str(tmp_path / "old.duckdb"))
    con.execute("CREATE SCHEMA staging")
    con.execute("CREATE SCHEMA plan")
    con.execute(
        "CREATE TABLE staging.nodes (node_id VARCHAR, ship_capacity_units BIGINT, "
        "source_file VARCHAR, row_number BIGINT)"
    )
    con.execute("INSERT INTO staging.nodes VALUES ('DC-1', 10, 'nodes.csv', 1)")
    con.execute(
        "CREATE TABLE plan.commitments (run_id VARCHAR, order_id VARCHAR, line_no BIGINT, "
        "node_id VARCHAR, quantity BIGINT, business_day DATE)"
    )
    prepare(con)
    prepare_book(con)
    assert {"pickup_capacity_orders", "file_sha256"} <= _columns(con, "staging.nodes")
    assert con.execute("SELECT node_id, pickup_capacity_orders FROM staging.nodes").fetchall() == [
        ("DC-1", None)
    ]
    assert "available_at" in _columns(con, "plan.commitments")
    assert {"expected_at", "kind"} <= _columns(con, "staging.supply")
    assert "resellable" in _columns(con, "staging.returns")
    assert {"wait_days", "available_to_promise"} <= _columns(con, "plan.supply")
    con.close()
