"""Peak memory per MB of CSV taken in, against Polars' own CSV reader as the baseline.

    uv run python benchmarks/ingest_memory.py --orders 600000     # about 200 MB of orders CSV

Writes a generated inbox (orders as one CSV file) under benchmarks/out/ingest_memory/, then
measures three things, each in a fresh process so each peak is its own: (1) the baseline,
``polars.read_csv`` of the orders file as text; (2) the product's strict reader alone
(``read_partner_file``: every physical line accounted for); (3) the whole path a run takes:
``ingest_inbox`` (reader, raw table in DuckDB, ledger) and ``stage_kind`` (validation,
staging, quarantine). Prints the file size, seconds, peak RSS above the process's start, MB
of memory per MB of file and the ratio to the baseline; this sizes the inbox's default file
limit (``contracts.inbox.DEFAULT_MAX_FILE_MB``).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out" / "ingest_memory"
STEPS = ("polars_read_csv", "strict_reader", "ingest_and_stage")


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(step: str, inbox: Path) -> dict:
    """One step in this (fresh) process: seconds and peak RSS above the start."""
    import duckdb
    import polars as pl

    from contracts.inbox import InboxRules
    from contracts.reading import read_partner_file
    from warehouse.ingest import ingest_inbox, stage_kind

    orders = inbox / "orders.csv"
    start_mb = _rss_mb()
    started = time.perf_counter()
    if step == "polars_read_csv":
        rows = pl.read_csv(orders, infer_schema=False).height
    elif step == "strict_reader":
        rows = read_partner_file(orders).frame.height
    else:
        warehouse = OUT / "w.duckdb"
        warehouse.unlink(missing_ok=True)
        with duckdb.connect(str(warehouse)) as con:
            rules = InboxRules(max_file_mb=1e6, quiet_seconds=0)
            ingest_inbox(con, inbox, OUT / "quarantine", "bench", rules)
            for kind in ("nodes", "products", "orders"):
                stage_kind(con, kind, "bench")
            rows = con.execute("SELECT count(*) FROM staging.orders").fetchall()[0][0]
    seconds = time.perf_counter() - started
    return {
        "step": step,
        "rows": rows,
        "seconds": round(seconds, 2),
        "peak_above_start_mb": round(_peak_mb() - start_mb),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=600_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--child", choices=STEPS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    inbox = OUT / "inbox"
    if args.child:
        print(json.dumps(measure(args.child, inbox)))
        return 0
    from samples.generator import generate_inbox

    shutil.rmtree(OUT, ignore_errors=True)
    inbox.mkdir(parents=True)
    frames = generate_inbox(orders=args.orders, seed=args.seed, stores=150, dcs=8, skus=800)
    for kind in ("nodes", "products"):
        frames[kind].write_csv(inbox / f"{kind}.csv")
    frames["orders"].write_csv(inbox / "orders.csv")
    del frames
    file_mb = (inbox / "orders.csv").stat().st_size / 2**20
    print(f"# orders.csv: {file_mb:,.0f} MB")
    baseline = None
    for step in STEPS:
        done = subprocess.run(
            [sys.executable, __file__, "--child", step], capture_output=True, text=True, check=True
        )
        row = json.loads(done.stdout.strip().splitlines()[-1])
        row["mb_per_file_mb"] = round(row["peak_above_start_mb"] / file_mb, 2)
        baseline = baseline or row["peak_above_start_mb"]
        row["vs_polars_read_csv"] = round(row["peak_above_start_mb"] / baseline, 2)
        print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
