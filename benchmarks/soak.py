"""Soak: many consecutive waves with new partner files each, checked after every wave.

    uv run python benchmarks/soak.py --waves 50            # figures for BENCHMARKS.md

Every wave is one ``omniroute run --json`` in its own process (so its peak memory is its
own, read with ``wait4``), after ``omniroute sample --next-wave`` wrote the next wave's files
(new orders, shipments, a rejection, a cancellation, an amendment), and every fifth wave a new
stock count at every node. After each wave: every
line's identity holds, no stock is promised twice, no line is instructed twice, every file's
ledger balances (rows and physical lines), and the wave published a whole folder. Prints a
JSON line per wave and a summary: seconds and peak memory of the first and the last waves
(ratios near 1 mean neither grows with history). ``tests/pipelines/test_soak.py`` runs a
short soak in CI with the same checks.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import duckdb
import polars as pl

from contracts.kinds import KINDS
from samples.generator import START
from tests.pipelines import wave_checks as check
from warehouse.ingest import ledger_discrepancies

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(__file__).resolve().parent / "out" / "soak"
SHAPE = ["--stores=12", "--dcs=3", "--skus=80"]
RESTOCK_EVERY = 5  # waves between stock counts (without them the waves run out of stock)


def _cli(args: list[str], env: dict[str, str]) -> tuple[subprocess.CompletedProcess, float]:
    """Run the CLI in a child process; its own peak RSS in MB from ``wait4``."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(
            [sys.executable, "-m", "pipelines.cli", *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=err,
        )
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        done = subprocess.CompletedProcess(child.args, child.returncode, out.read(), err.read())
    return done, usage.ru_maxrss / 1024


def _restock(inbox: Path, wave: int) -> None:
    """A new stock count at every node, as stores and DCs send after a delivery: the first
    snapshot's quantities again, counted two hours before the wave (``next_wave``'s clock)."""
    counted = START + timedelta(hours=4 * (wave - 1) - 2)
    stock = pl.read_csv(inbox / "stock.csv", infer_schema=False)
    stamp = counted.strftime("%Y-%m-%dT%H:%M:%SZ")
    stock.with_columns(snapshot_at=pl.lit(stamp)).write_csv(inbox / f"stock_wave{wave}.csv")


def _problems(warehouse: Path, outbox: Path) -> dict[str, int]:
    ledger = 0
    with duckdb.connect(str(warehouse), read_only=True) as con:
        for kind in KINDS:
            ledger += ledger_discrepancies(con, kind).height
    return {
        "identity_breaks": check.identity_breaks(warehouse).height,
        "over_promised": check.over_promised(warehouse).height,
        "over_instructed": check.over_instructed(warehouse, outbox).height,
        "ledger_discrepancies": ledger,
    }


def soak(
    root: Path, waves: int, first_orders: int = 300, orders: int = 60, progress: bool = False
) -> list[dict]:
    """Run the waves under ``root``; one row of figures and problem counts per wave."""
    inbox, outbox = root / "inbox", root / "outbox"
    warehouse = root / "warehouse" / "omniroute.duckdb"
    env = {
        **os.environ,
        "OMNIROUTE_INBOX": str(inbox),
        "OMNIROUTE_WAREHOUSE": str(warehouse),
        "OMNIROUTE_OUTBOX": str(outbox),
        "DAGSTER_HOME": str(root / "dagster_home"),
        "OMNIROUTE_QUIET_SECONDS": "0",
    }
    (root / "dagster_home").mkdir(parents=True, exist_ok=True)
    made, _ = _cli(["sample", "--out", str(inbox), f"--orders={first_orders}", *SHAPE], env)
    assert made.returncode == 0, made.stderr[-2000:]
    rows = []
    for wave in range(1, waves + 1):
        if wave > 1:
            args = ["sample", "--next-wave", "--inbox", str(inbox), "--outbox", str(outbox)]
            args += ["--out", str(inbox), f"--wave={wave}", f"--seed={wave}", f"--orders={orders}"]
            made, _ = _cli(args, env)
            assert made.returncode == 0, made.stderr[-2000:]
            if wave % RESTOCK_EVERY == 0:
                _restock(inbox, wave)
        started = time.perf_counter()
        done, peak = _cli(["run", "--json", "--log-level", "ERROR"], env)
        seconds = time.perf_counter() - started
        summary = json.loads(done.stdout)
        assert done.returncode == 0 and summary["status"] == "success", done.stderr[-2000:]
        folder = outbox / summary["run_id"]
        rows.append(
            {
                "wave": wave,
                "seconds": round(seconds, 2),
                "peak_rss_mb": round(peak),
                "warehouse_mb": round(warehouse.stat().st_size / 2**20, 1),
                "units_open_before": summary.get("units_open_before"),
                "units_instructed": summary.get("units_instructed"),
                "allocation_seconds": round(summary.get("allocation_seconds") or 0.0, 2),
                "published_whole": (folder / "_SUCCESS").is_file(),
                **_problems(warehouse, outbox),
            }
        )
        if progress:
            print(json.dumps(rows[-1]), flush=True)
    return rows


def summary(rows: list[dict], window: int = 5) -> dict:
    """First and last waves side by side (the first wave, which takes the sample's larger
    order file and compiles nothing twice, is left out of the 'first' window)."""
    first, last = rows[1 : 1 + window], rows[-window:]

    def mean(part: list[dict], key: str) -> float:
        return sum(r[key] for r in part) / len(part)

    return {
        "waves": len(rows),
        "seconds_first": round(mean(first, "seconds"), 2),
        "seconds_last": round(mean(last, "seconds"), 2),
        "seconds_ratio": round(mean(last, "seconds") / mean(first, "seconds"), 2),
        "allocation_seconds_first": round(mean(first, "allocation_seconds"), 2),
        "allocation_seconds_last": round(mean(last, "allocation_seconds"), 2),
        "units_open_before_first": round(mean(first, "units_open_before")),
        "units_open_before_last": round(mean(last, "units_open_before")),
        "peak_rss_mb_first": round(mean(first, "peak_rss_mb")),
        "peak_rss_mb_last": round(mean(last, "peak_rss_mb")),
        "peak_rss_ratio": round(mean(last, "peak_rss_mb") / mean(first, "peak_rss_mb"), 2),
        "warehouse_mb_last": rows[-1]["warehouse_mb"],
        "problems": sum(
            r[k]
            for r in rows
            for k in ("identity_breaks", "over_promised", "over_instructed", "ledger_discrepancies")
        ),
        "unpublished_waves": sum(not r["published_whole"] for r in rows),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--waves", type=int, default=50)
    parser.add_argument("--orders", type=int, default=60, help="new orders per wave")
    args = parser.parse_args()
    import shutil

    shutil.rmtree(OUT, ignore_errors=True)
    rows = soak(OUT, args.waves, orders=args.orders, progress=True)
    print(json.dumps({"summary": summary(rows)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
