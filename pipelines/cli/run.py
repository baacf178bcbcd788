"""``omniroute run``: one wave of ``allocation_job`` through Dagster, then its summary."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from pipelines.cli.summary import RunSummary, add_warehouse_figures, print_summary
from pipelines.paths import ProjectPaths
from pipelines.runner import run_allocation_job, step_errors
from pipelines.settings_file import load_settings_file


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("run", help="run the allocation job through Dagster on an inbox")
    parser.add_argument("--inbox", type=Path, help="partner inbox folder (default: bundled sample)")
    parser.add_argument("--warehouse", type=Path, help="DuckDB warehouse file")
    parser.add_argument("--outbox", type=Path, help="outbox folder")
    parser.add_argument("--config", type=Path, help="run settings, YAML or JSON")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="plan as a scenario: store plan, report and marts, publish nothing",
    )
    parser.add_argument(
        "--log-level",
        default="INFO",
        type=str.upper,
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="Dagster's log level (stderr)",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Exit 0 on a plan (even with backorders), 1 when a step failed, 2 for bad arguments."""
    paths = ProjectPaths.from_env().with_(args.inbox, args.warehouse, args.outbox)
    if not paths.inbox.is_dir():
        return _fail(f"inbox folder {paths.inbox} does not exist", args.json)
    try:
        settings = load_settings_file(args.config) if args.config else {}
    except (OSError, ValueError) as error:
        return _fail(f"bad --config: {error}", args.json)
    started = time.perf_counter()
    if args.dry_run:
        settings = {**settings, "publish": False}
    result = run_allocation_job(paths, settings, args.log_level)
    summary = RunSummary(
        run_id=result.run_id,
        status="success" if result.success else "failure",
        seconds=round(time.perf_counter() - started, 3),
        inbox=str(paths.inbox),
        warehouse=str(paths.warehouse),
        errors=step_errors(result),
    )
    add_warehouse_figures(summary, paths.warehouse, paths.outbox)
    if result.success and summary.objective is None:
        summary.status = "failure"
        summary.message = "the job finished without an allocation plan"
    print_summary(summary, args.json)
    return 0 if summary.status == "success" else 1


def _fail(message: str, as_json: bool) -> int:
    if as_json:
        print(json.dumps({"status": "error", "message": message}))
    print(f"omniroute run: {message}", file=sys.stderr)
    return 2
