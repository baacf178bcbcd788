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


def test_json_kept_as_text_by_an_older_warehouse_becomes_json(tmp_path):
    con = duckdb.connect(str(tmp_path / "old.duckdb"))
    con.execute("CREATE SCHEMA plan")
    con.execute(
        "CREATE TABLE plan.runs (run_id VARCHAR, method VARCHAR, settings VARCHAR, "
        "objective_terms VARCHAR, feedback VARCHAR)"
    )
    con.execute(
        "INSERT INTO plan.runs VALUES ('r1', 'optimizer', '{\"mip_gap\": 0.01}', '{}', NULL), "
        "('r0', 'optimizer', 'not json', '{}', '{\"shipped\": 2}')"
    )
    prepare(con)
    prepare_book(con)
    types = dict(
        con.execute("SELECT column_name, column_type FROM (DESCRIBE plan.runs)").fetchall()
    )
    assert [types[c] for c in ("settings", "objective_terms", "feedback")] == ["JSON"] * 3
    assert types["kind"] == "VARCHAR"  # later columns added too
    rows = con.execute(
        "SELECT run_id, settings->>'mip_gap', settings, feedback->>'shipped', feedback IS NULL "
        "FROM plan.runs ORDER BY run_id"
    ).fetchall()
    # a value that was not JSON is kept, as a JSON string; NULL stays NULL
    assert rows == [
        ("r0", None, '"not json"', "2", False),
        ("r1", "0.01", '{"mip_gap": 0.01}', None, True),
    ]
    assert (
        dict(
            con.execute(
                "SELECT column_name, column_type FROM (DESCRIBE quarantine.rejected_rows)"
            ).fetchall()
        )["record"]
        == "JSON"
    )
    con.close()
