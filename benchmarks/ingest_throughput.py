"""Ingestion + validation throughput on a generated Parquet inbox (target: >= 1M order lines/min).

    uv run python benchmarks/ingest_throughput.py --orders 580000 --stores 200

Times (1) the plain path: read the orders Parquet file and validate it against the contract,
and (2) the real path: the ingest and validate assets materialized by Dagster into a fresh
DuckDB file (raw tables, staging, quarantine, ledger, asset checks). Writes under
benchmarks/out/ (git-ignored).
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

import dagster as dg

from assets import available_to_promise, ingest, validate
from assets.resources import InboxResource, WarehouseResource
from contracts.intake import validate_kind
from contracts.reading import read_partner_file
from contracts.validation import empty_staged
from samples.generator import generate_inbox

OUT = Path(__file__).resolve().parent / "out" / "ingest"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=580_000)
    parser.add_argument("--stores", type=int, default=200)
    parser.add_argument("--skus", type=int, default=800)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()

    shutil.rmtree(OUT, ignore_errors=True)
    inbox = OUT / "inbox"
    inbox.mkdir(parents=True)
    frames = generate_inbox(
        orders=args.orders, seed=args.seed, stores=args.stores, dcs=6, skus=args.skus
    )
    for kind, frame in frames.items():
        frame.write_parquet(inbox / f"{kind}.parquet")
    lines = frames["orders"].height
    print(f"inbox: {lines:,} order lines, {frames['nodes'].height} nodes, {args.skus} skus")

    started = time.perf_counter()
    raw = read_partner_file(inbox / "orders.parquet")
    read_s = time.perf_counter() - started
    batch = validate_kind(
        "orders",
        [(raw.name, raw.frame, raw.columns)],
        empty_staged("orders"),
        nodes=frames["nodes"],
        products=frames["products"],
    )
    plain_s = time.perf_counter() - started
    result = batch.results[0]
    assert result.reconciles and result.rows_accepted == lines
    rate = lines / plain_s * 60
    print(f"plain read + validate: {plain_s:.1f} s (read {read_s:.1f} s) -> {rate:,.0f} lines/min")

    started = time.perf_counter()
    run = dg.materialize(
        dg.load_assets_from_modules([ingest, validate, available_to_promise]),
        resources={
            "warehouse": WarehouseResource(path=str(OUT / "warehouse.duckdb")),
            "inbox": InboxResource(path=str(inbox)),
        },
        instance=dg.DagsterInstance.ephemeral(),
        run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
    )
    total_s = time.perf_counter() - started
    assert run.success and all(e.passed for e in run.get_asset_check_evaluations())
    print(
        f"dagster ingest + validate (all kinds, checks, DuckDB writes): {total_s:.1f} s "
        f"-> {lines / total_s * 60:,.0f} order lines/min"
    )


if __name__ == "__main__":
    main()
