"""Every table, view and column a real run leaves in the warehouse carries its meaning, the
newest-wave views answer for the newest published wave, and JSON is stored as JSON."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from warehouse.catalog import (
    NEWEST_EXPLANATIONS,
    NEWEST_INSTRUCTIONS,
    NEWEST_KPIS,
    NEWEST_WAVE,
    describe_warehouse,
    undescribed,
)
from warehouse.connection import open_warehouse
from warehouse.plans import load_settings
from warehouse.schema import JSON_COLUMNS


def test_a_real_run_leaves_every_table_view_and_column_described(job_warehouse):
    with duckdb.connect(str(job_warehouse), read_only=True) as con:
        assert undescribed(con) == []
        objects = con.execute(
            "SELECT count(*) FROM duckdb_columns() WHERE database_name = current_database() "
            "AND NOT internal AND comment <> ''"
        ).fetchall()[0][0]
        views = {
            r[0]
            for r in con.execute(
                "SELECT schema_name || '.' || view_name FROM duckdb_views() WHERE NOT internal"
            ).fetchall()
        }
    assert objects > 500  # the whole warehouse, not a corner of it
    assert {NEWEST_WAVE, NEWEST_KPIS, NEWEST_INSTRUCTIONS, NEWEST_EXPLANATIONS} <= views
    assert "marts.scenario_comparison" in views


def test_describing_a_described_warehouse_writes_nothing(job_warehouse, tmp_path):
    copy = tmp_path / "w.duckdb"
    shutil.copy(job_warehouse, copy)
    with open_warehouse(copy, lock_wait_s=0) as con:
        assert describe_warehouse(con) == 0


def test_the_newest_wave_views_show_the_newest_published_wave_only(job_warehouse):
    with duckdb.connect(str(job_warehouse), read_only=True) as con:
        runs = con.execute(
            "SELECT run_id, kind, published_at FROM plan.runs WHERE method = 'optimizer' "
            "ORDER BY created_at"
        ).fetchall()
        assert [r[1] for r in runs] == ["scenario", "wave"]  # the dry run came first
        wave = runs[1][0]
        newest = con.execute("SELECT run_id, saved_pct, units_instructed FROM marts.newest_wave")
        assert [(r[0]) for r in newest.fetchall()] == [wave]
        for view, table in (
            (NEWEST_KPIS, "marts.kpis"),
            (NEWEST_INSTRUCTIONS, "plan.instructions"),
        ):
            rows = con.execute(f"SELECT DISTINCT run_id FROM {view}").fetchall()
            assert rows == [(wave,)], view
            count = con.execute(f"SELECT count(*) FROM {table} WHERE run_id = ?", [wave]).fetchall()
            assert con.execute(f"SELECT count(*) FROM {view}").fetchall() == count != [(0,)]
        explained = con.execute(
            f"SELECT DISTINCT run_id FROM {NEWEST_EXPLANATIONS}"
        ).fetchall()  # the scenario planned the same lines: its explanations stay out
        assert explained == [(wave,)]


def test_json_columns_are_json_and_read_back(job_warehouse):
    with duckdb.connect(str(job_warehouse), read_only=True) as con:
        types = con.execute(
            "SELECT schema_name || '.' || table_name, column_name, data_type FROM duckdb_columns() "
            "WHERE database_name = current_database()"
        ).fetchall()
        found = {(t, c): d for t, c, d in types}
        for table, columns in JSON_COLUMNS.items():
            for column in columns:
                if (table, column) in found:
                    assert found[table, column] == "JSON", (table, column)
        assert ("marts.benefit_estimates", "assumptions") in found
        run_id, gap = con.execute(
            "SELECT run_id, settings->>'mip_gap' FROM marts.newest_wave"
        ).fetchall()[0]
        assert float(gap) == load_settings(con, run_id).mip_gap
        terms = con.sql("SELECT objective_terms FROM plan.runs").pl()
        assert terms["objective_terms"].dtype.is_(terms["objective_terms"].dtype) and isinstance(
            terms["objective_terms"][0], str
        )  # Polars reads JSON as text: json.loads in the summary keeps working


def test_a_stale_view_definition_is_replaced(job_warehouse, tmp_path):
    copy = tmp_path / "w.duckdb"
    shutil.copy(job_warehouse, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute(f"CREATE OR REPLACE VIEW {NEWEST_WAVE} AS SELECT 1 AS run_id")
    with open_warehouse(Path(copy), lock_wait_s=0) as con:
        assert describe_warehouse(con) > 0
        columns = {r[0] for r in con.execute(f"DESCRIBE {NEWEST_WAVE}").fetchall()}
        assert {"run_id", "saved_pct", "settings"} <= columns
        assert undescribed(con) == []


def test_a_new_warehouse_file_is_readable_by_duckdb_1_5(tmp_path, job_warehouse):
    with open_warehouse(tmp_path / "new.duckdb", lock_wait_s=0) as con:
        tags = con.execute(
            "SELECT tags['storage_version'] FROM duckdb_databases() "
            "WHERE database_name = current_database()"
        ).fetchall()
    assert tags == [("v1.5.0+",)]
    with duckdb.connect(str(job_warehouse), read_only=True) as con:
        tags = con.execute(
            "SELECT tags['storage_version'] FROM duckdb_databases() "
            "WHERE database_name = current_database()"
        ).fetchall()
    assert tags == [("v1.5.0+",)]  # the job's file, created by the job, too
