"""Allocation benchmark: generated instances of growing size, every stage timed.

For each size it generates an inbox with the sample generator (in memory), computes ATP, and
runs the optimizer in a fresh subprocess (so peak memory is that run's alone), printing
seconds per stage, peak RSS, objective, LP/MIP bound, gap, the rule-based baseline's
objective and the savings against it. Run:

    uv run python benchmarks/bench.py                      # 1k, 10k, 20k lines
    uv run python benchmarks/bench.py --sizes 1000 200000  # any sizes (order lines)
    uv run python benchmarks/bench.py --ingest 1000000     # ingestion + validation throughput
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

# (order lines, stores, dcs, skus): ~1.7 lines per order in the generator.
SHAPES = {
    1_000: (20, 3, 150),
    10_000: (45, 5, 300),
    20_000: (45, 5, 400),
    100_000: (150, 8, 800),
    200_000: (192, 8, 1000),
}
LINES_PER_ORDER = 1.7


def shape(lines: int) -> tuple[int, int, int]:
    """Stores, DCs and SKUs for a size: the nearest listed shape at or above it."""
    for size, dims in sorted(SHAPES.items()):
        if lines <= size:
            return dims
    return SHAPES[max(SHAPES)]


def run_one(lines: int, seed: int, settings_json: str) -> dict:
    """Generate, allocate, measure (runs inside the child process)."""
    from contracts.atp import available_to_promise
    from optimizers import allocate
    from optimizers.settings import AllocationSettings
    from optimizers.types import AllocationInputs
    from samples.generator import generate_inbox

    stores, dcs, skus = shape(lines)
    t0 = time.perf_counter()
    frames = generate_inbox(
        orders=max(1, round(lines / LINES_PER_ORDER)), seed=seed, stores=stores, dcs=dcs, skus=skus
    )
    inputs = AllocationInputs.from_frames(frames, available_to_promise(frames["stock"]))
    generated = time.perf_counter() - t0
    settings = AllocationSettings(**json.loads(settings_json))
    t1 = time.perf_counter()
    plan = allocate(inputs, settings)
    total = time.perf_counter() - t1
    base = plan.baseline
    stats = plan.stats
    savings = base.stats.objective - stats.objective
    return {
        "lines": inputs.orders.height,
        "nodes": inputs.nodes.height,
        "generate_s": round(generated, 2),
        "allocation_s": round(total, 2),
        "build_s": round(stats.build_seconds, 2),
        "solve_s": round(stats.solve_seconds, 2),
        "extract_s": round(stats.extract_seconds, 2),
        "baseline_s": round(base.stats.seconds, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "status": stats.status,
        "objective": round(stats.objective, 2),
        "bound": None if stats.best_bound is None else round(stats.best_bound, 2),
        "gap_pct": None if stats.gap is None else round(100 * stats.gap, 3),
        "baseline_objective": round(base.stats.objective, 2),
        "savings_pct": round(100 * savings / base.stats.objective, 2)
        if base.stats.objective
        else 0,
        "units_allocated": int(plan.objective_terms.get("units_allocated", 0)),
        "units_backordered": int(plan.objective_terms.get("units_backordered", 0)),
        "fell_back": stats.fell_back,
        "message": stats.message,
    }


def ingest_throughput(lines: int, seed: int) -> dict:
    """Read + validate + stage ``lines`` order lines from Parquet through the product's code."""
    import tempfile

    import duckdb

    from contracts.kinds import KINDS
    from samples.generator import generate_inbox
    from samples.inbox import write_inbox
    from warehouse.ingest import ingest_inbox, stage_kind
    from warehouse.schema import prepare

    stores, dcs, skus = shape(lines)
    frames = generate_inbox(
        orders=round(lines / LINES_PER_ORDER), seed=seed, stores=stores, dcs=dcs, skus=skus
    )
    with tempfile.TemporaryDirectory() as tmp:
        inbox = Path(tmp) / "inbox"
        write_inbox(frames, inbox, "parquet")
        con = duckdb.connect(str(Path(tmp) / "w.duckdb"))
        prepare(con)
        t0 = time.perf_counter()
        ingest_inbox(con, inbox, Path(tmp) / "q", "bench")
        for kind in KINDS:
            stage_kind(con, kind, "bench")
        seconds = time.perf_counter() - t0
        staged = con.sql("SELECT count(*) FROM staging.orders").fetchall()[0][0]
        con.close()
    return {
        "order_lines": frames["orders"].height,
        "staged_lines": staged,
        "seconds": round(seconds, 2),
        "lines_per_minute": round(60 * frames["orders"].height / seconds),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def _child(args: list[str]) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr else "failed"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1_000, 10_000, 20_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--settings", default="{}", help="AllocationSettings fields as JSON")
    parser.add_argument("--ingest", type=int, default=0, help="order lines for ingestion bench")
    parser.add_argument("--child", choices=["allocate", "ingest"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "allocate":
        print(json.dumps(run_one(args.sizes[0], args.seed, args.settings)))
        return 0
    if args.child == "ingest":
        print(json.dumps(ingest_throughput(args.ingest, args.seed)))
        return 0
    cores = len(os.sched_getaffinity(0))
    print(
        f"# {platform.machine()}, Python {platform.python_version()}, {cores} cores; "
        f"settings {args.settings}"
    )
    for lines in args.sizes:
        row = _child(
            [
                "--child",
                "allocate",
                "--sizes",
                str(lines),
                "--seed",
                str(args.seed),
                "--settings",
                args.settings,
            ]
        )
        print(json.dumps({"target_lines": lines, **row}), flush=True)
    if args.ingest:
        row = _child(["--child", "ingest", "--ingest", str(args.ingest), "--seed", str(args.seed)])
        print(json.dumps({"ingest": row}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
