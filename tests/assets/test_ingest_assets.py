"""The ingest and validate assets materialized by a real (in-process) Dagster into a temp DuckDB."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from assets import available_to_promise, ingest, validate
from assets.resources import InboxResource, WarehouseResource
from contracts.kinds import KINDS
from pipelines.automation import ALLOCATION_JOB
from pipelines.definitions import build_definitions
from pipelines.paths import ProjectPaths

STAGING = [f"staging_{kind}" for kind in KINDS]
OURS = ["partner_files", *STAGING, "available_to_promise"]


def materialize(inbox: Path, warehouse: Path) -> dg.ExecuteInProcessResult:
    """Only the ingestion assets (and their checks), as the allocation job runs them."""
    return dg.materialize(
        dg.load_assets_from_modules([ingest, validate, available_to_promise]),
        resources={
            "warehouse": WarehouseResource(path=str(warehouse)),
            "inbox": InboxResource(path=str(inbox)),
        },
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )


def checks(result: dg.ExecuteInProcessResult) -> dict[tuple[str, str], bool]:
    return {
        (e.asset_key.to_user_string(), e.check_name): e.passed
        for e in result.get_asset_check_evaluations()
    }


def metadata(result: dg.ExecuteInProcessResult, asset: str) -> dict[str, object]:
    event = next(
        e
        for e in result.get_asset_materialization_events()
        if e.asset_key.to_user_string() == asset
    )
    return {k: getattr(v, "value", v) for k, v in event.materialization.metadata.items()}


def tables(warehouse: Path) -> dict[str, list]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        names = con.sql(
            "SELECT schema_name || '.' || table_name FROM duckdb_tables() ORDER BY 1"
        ).fetchall()
        return {t: sorted(map(str, con.sql(f"SELECT * FROM {t}").fetchall())) for (t,) in names}


@pytest.fixture(scope="module")
def first_run(tmp_path_factory, sample_inbox) -> tuple[Path, Path, dg.ExecuteInProcessResult]:
    root = tmp_path_factory.mktemp("ingest")
    frames = sample_inbox(root / "inbox", orders=150, seed=5, stores=6, dcs=2, skus=40)
    # One orders file as Parquet: both formats through the same assets.
    frames["orders"].filter(pl.col("channel") == "web").write_parquet(
        root / "inbox" / "orders_web.parquet"
    )
    (root / "inbox" / "orders_web.csv").unlink()
    warehouse = root / "warehouse" / "omniroute.duckdb"
    return root / "inbox", warehouse, materialize(root / "inbox", warehouse)


def test_definitions_load_with_every_ingestion_asset_and_check(tmp_path):
    defs = build_definitions(ProjectPaths(tmp_path / "in", tmp_path / "w.duckdb", tmp_path / "out"))
    keys = {k.to_user_string() for k in defs.resolve_all_asset_keys()}
    assert set(OURS) <= keys
    job = defs.resolve_job_def(ALLOCATION_JOB)
    assert {dg.AssetKey(a) for a in OURS} <= set(job.asset_layer.asset_graph.get_all_asset_keys())


def test_first_run_ingests_validates_and_all_checks_pass(first_run):
    _, warehouse, result = first_run
    assert result.success
    found = checks(result)
    assert all(found.values()), found
    assert {(a, "ledger_reconciles") for a in STAGING} <= set(found)
    assert {(a, "staging_conforms") for a in STAGING} <= set(found)
    orders = metadata(result, "staging_orders")
    assert (
        orders["rows_read"]
        == orders["rows_accepted"] + orders["rows_rejected"] + orders["rows_duplicate"]
    )
    assert orders["rows_rejected"] == 13 and orders["rows_duplicate"] == 1
    rejects = [r.data for r in orders["rejects"].records]  # tables, with column schemas
    rules = {(r.data["column"], r.data["rule"]) for r in orders["rules_broken"].records}
    assert "ship_to_mismatch" in {r["rule"] for r in rejects} and ("quantity", "integer") in rules
    assert "rule" in {c.name for c in orders["rules_broken"].schema.columns}
    assert metadata(result, "partner_files")["new_files"] == 14  # supply and returns too
    with duckdb.connect(str(warehouse), read_only=True) as con:
        formats = con.sql(
            "SELECT file_name FROM raw.file_ledger WHERE kind = 'orders' AND status = 'ok'"
        ).fetchall()
        assert ("orders_web.parquet",) in formats
        atp = con.sql(
            "SELECT count(*), min(available_to_promise) FROM staging.available_to_promise"
        ).fetchall()
        assert atp[0][0] > 0 and atp[0][1] >= 0


def test_second_run_changes_nothing(first_run):
    inbox, warehouse, _ = first_run
    before = {t: rows for t, rows in tables(warehouse).items()}
    again = materialize(inbox, warehouse)
    assert again.success and all(checks(again).values())
    assert metadata(again, "partner_files")["new_files"] == 0
    assert metadata(again, "staging_orders")["files_validated"] == 0
    assert tables(warehouse) == before


def test_unbalanced_ledger_fails_the_check_and_blocks_downstream(first_run, tmp_path):
    inbox, warehouse, _ = first_run
    copy = tmp_path / "tampered.duckdb"
    copy.write_bytes(warehouse.read_bytes())
    with duckdb.connect(str(copy)) as con:
        con.execute(
            "UPDATE raw.file_ledger SET rows_accepted = rows_accepted + 1 WHERE kind = 'stock'"
        )
    result = materialize(inbox, copy)
    assert checks(result)[("staging_stock", "ledger_reconciles")] is False
    done = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert "staging_stock" in done and "available_to_promise" not in done
