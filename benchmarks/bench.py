"""Allocation benchmark: the ladder of sizes and, at 20k lines, four shapes of network.

Each case generates its instance in memory and runs ``allocate`` in a fresh subprocess (so
peak memory is that run's alone), printing seconds per stage, peak RSS, objective, the valid
bound, the gap, the rule-based baseline's objective and the savings against it, and where a
long exact solve is cached beside this script (``optima.json``), how far the plan is above
that optimum. Cases:

    size-1k .. size-200k   the sample generator's shape (~30 candidates per line)
    sparse-20k             each SKU at ~6 of 50 nodes, a quarter of units short, capacities bind
    dense-20k              stock at 60 % of node x sku
    pickup-20k             sparse, 30 % of orders picked up in store
    zoned-20k              sparse, 80 % of orders shipped by zone lanes from every DC
    wave-sample, wave-20k  one wave through ``omniroute run``: seconds to a published outbox

Run:

    uv run python benchmarks/bench.py                          # the whole ladder
    uv run python benchmarks/bench.py --cases sparse-20k       # some cases
    uv run python benchmarks/bench.py --cases size-1k --exact  # (re)compute cached optima
    uv run python benchmarks/bench.py --cases --ingest 1000000 # ingestion throughput
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


SPARSE = {"n_nodes": 50, "n_skus": 400, "stock_density": 0.12, "stock_level": 0.75}
SYNTHETIC = {
    "sparse-20k": SPARSE,
    "dense-20k": {**SPARSE, "stock_density": 0.6},
    "pickup-20k": {**SPARSE, "pickup_share": 0.3},
    "zoned-20k": {**SPARSE, "zone_share": 0.8, "lane_dcs": 15},
    "supply-20k": {**SPARSE, "supply_share": 0.3},  # sparse stock, supply due in 1-10 days
    "supply-2k": {**SPARSE, "supply_share": 0.3},  # small enough for a long exact solve
}
SYNTHETIC_LINES = {"supply-2k": 2_000}
SIZES = {"size-1k": 1_000, "size-5k": 5_000, "size-20k": 20_000}
SIZES |= {"size-100k": 100_000, "size-200k": 200_000}
WAVES = ["wave-sample", "wave-20k"]
CASES = [*SIZES, *SYNTHETIC, *WAVES]
OPTIMA = Path(__file__).with_name("optima.json")
EXACT_LIMIT_S = 900.0


def instance(case: str, seed: int):
    """The allocation inputs of a case."""
    from contracts.atp import available_to_promise
    from optimizers.types import AllocationInputs
    from samples.generator import generate_inbox
    from samples.synthetic import synthetic_inputs

    if case in SYNTHETIC:
        lines = SYNTHETIC_LINES.get(case, 20_000)
        return synthetic_inputs(n_lines=lines, seed=seed, **SYNTHETIC[case])
    lines = SIZES[case]
    stores, dcs, skus = shape(lines)
    frames = generate_inbox(
        orders=max(1, round(lines / LINES_PER_ORDER)), seed=seed, stores=stores, dcs=dcs, skus=skus
    )
    return AllocationInputs.from_frames(frames, available_to_promise(frames["stock"]))


def exact_optimum(case: str, seed: int) -> dict:
    """A long whole-model MIP solve (child process): the reference the plans are held to."""
    from optimizers import allocate
    from optimizers.settings import AllocationSettings

    settings = AllocationSettings(
        method="whole_model", mip_gap=1e-4, time_limit_s=EXACT_LIMIT_S, threads=2
    )
    t0 = time.perf_counter()
    plan = allocate(instance(case, seed), settings)
    return {
        "objective": round(plan.stats.objective, 2),
        "bound": None if plan.stats.best_bound is None else round(plan.stats.best_bound, 2),
        "status": plan.stats.status,
        "seconds": round(time.perf_counter() - t0, 1),
    }


def run_one(case: str, seed: int, settings_json: str) -> dict:
    """Generate, allocate, measure (runs inside the child process)."""
    from optimizers import allocate
    from optimizers.candidates import build_candidates
    from optimizers.settings import AllocationSettings

    t0 = time.perf_counter()
    inputs = instance(case, seed)
    generated = time.perf_counter() - t0
    settings = AllocationSettings(**json.loads(settings_json))
    t1 = time.perf_counter()
    plan = allocate(inputs, settings)
    total = time.perf_counter() - t1
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    candidates = build_candidates(inputs, settings).candidates.height  # after: not in the RSS
    base = plan.baseline
    stats = plan.stats
    savings = base.stats.objective - stats.objective
    optimum = json.loads(OPTIMA.read_text()).get(f"{case}/{seed}") if OPTIMA.exists() else None
    above = exact_gap = None
    if optimum:  # the exact solve's plan (the optimum if its status is optimal) and bound
        above = round(100 * (stats.objective - optimum["objective"]) / optimum["objective"], 3)
        if optimum["bound"] is not None:
            exact_gap = round(100 * (stats.objective - optimum["bound"]) / stats.objective, 3)
    return {
        "case": case,
        "lines": inputs.orders.height,
        "nodes": inputs.nodes.height,
        "candidates_per_line": round(candidates / max(1, inputs.orders.height), 1),
        "generate_s": round(generated, 2),
        "allocation_s": round(total, 2),
        "build_s": round(stats.build_seconds, 2),
        "solve_s": round(stats.solve_seconds, 2),
        "extract_s": round(stats.extract_seconds, 2),
        "baseline_s": round(base.stats.seconds, 2),
        "peak_rss_mb": round(rss),
        "status": stats.status,
        "objective": round(stats.objective, 2),
        "bound": None if stats.best_bound is None else round(stats.best_bound, 2),
        "gap_pct": None if stats.gap is None else round(100 * stats.gap, 3),
        "baseline_objective": round(base.stats.objective, 2),
        "savings_pct": round(100 * savings / base.stats.objective, 2)
        if base.stats.objective
        else 0,
        "optimum": None if optimum is None else optimum["objective"],
        "above_exact_plan_pct": above,
        "gap_to_exact_bound_pct": exact_gap,
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


def wave_seconds(case: str, seed: int) -> dict:
    """One wave through the command line, inbox to published outbox (``_SUCCESS``): the
    bundled sample (``wave-sample``) or a generated 20k-line inbox (``wave-20k``)."""
    import tempfile

    from samples.generator import generate_inbox
    from samples.inbox import write_inbox

    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        inbox = root / "data" / "sample"
        if case == "wave-20k":
            stores, dcs, skus = shape(20_000)
            frames = generate_inbox(
                orders=round(20_000 / LINES_PER_ORDER), seed=seed, stores=stores, dcs=dcs, skus=skus
            )
            inbox = Path(tmp) / "inbox"
            write_inbox(frames, inbox, "parquet")
        outbox = Path(tmp) / "outbox"
        command = [sys.executable, "-m", "pipelines.cli", "run", "--inbox", str(inbox)]
        command += ["--warehouse", str(Path(tmp) / "w.duckdb"), "--outbox", str(outbox), "--json"]
        env = {**os.environ, "DAGSTER_HOME": str(Path(tmp) / "dagster")}
        started = time.time()
        out = subprocess.run(command, capture_output=True, text=True, env=env, cwd=root)
        finished = time.time()
        done = sorted(outbox.glob("*/_SUCCESS"))
        summary = json.loads(out.stdout) if out.returncode == 0 and out.stdout.strip() else {}
        return {
            "case": case,
            "returncode": out.returncode,
            "to_success_s": round(done[0].stat().st_mtime - started, 1) if done else None,
            "whole_run_s": round(finished - started, 1),
            "allocation_s": summary.get("allocation_seconds"),
            "gap_pct": None if summary.get("gap") is None else round(100 * summary["gap"], 3),
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
    parser.add_argument("--cases", nargs="*", default=CASES, choices=CASES)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--settings", default="{}", help="AllocationSettings fields as JSON")
    parser.add_argument("--exact", action="store_true", help="compute and cache the optima")
    parser.add_argument("--ingest", type=int, default=0, help="order lines for ingestion bench")
    parser.add_argument("--child", choices=["allocate", "exact", "ingest"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "allocate":
        print(json.dumps(run_one(args.cases[0], args.seed, args.settings)))
        return 0
    if args.child == "exact":
        print(json.dumps(exact_optimum(args.cases[0], args.seed)))
        return 0
    if args.child == "ingest":
        print(json.dumps(ingest_throughput(args.ingest, args.seed)))
        return 0
    cores = len(os.sched_getaffinity(0))
    print(
        f"# {platform.machine()}, Python {platform.python_version()}, {cores} cores; "
        f"settings {args.settings}"
    )
    for case in args.cases:
        if case in WAVES:
            print(json.dumps(wave_seconds(case, args.seed)), flush=True)
            continue
        common = ["--cases", case, "--seed", str(args.seed)]
        if args.exact:
            optimum = _child(["--child", "exact", *common])
            optima = json.loads(OPTIMA.read_text()) if OPTIMA.exists() else {}
            optima[f"{case}/{args.seed}"] = optimum
            OPTIMA.write_text(json.dumps(optima, indent=1, sort_keys=True) + "\n")
            print(json.dumps({"case": case, "optimum": optimum}), flush=True)
            continue
        row = _child(["--child", "allocate", *common, "--settings", args.settings])
        print(json.dumps({"case": case, **row}), flush=True)
    if args.ingest:
        row = _child(["--child", "ingest", "--ingest", str(args.ingest), "--seed", str(args.seed)])
        print(json.dumps({"ingest": row}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
