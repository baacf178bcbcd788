"""``omniroute run``: one wave of ``allocation_job`` through Dagster, then its summary."""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from pipelines.cli.summary import RunSummary, add_warehouse_figures, print_summary
from pipelines.paths import PROJECT_ROOT, ProjectPaths
from pipelines.runner import run_allocation_job, step_errors
from pipelines.settings_file import load_settings_file
from samples.generator import START

# The bundled sample is one morning's files (stock counted, supply on its way, the night's
# orders): planned as of that morning's first wave unless the settings say otherwise.
SAMPLE_INBOX = PROJECT_ROOT / "data" / "sample"
SAMPLE_WAVE_AT = START.replace(hour=8).strftime("%Y-%m-%dT%H:%M:%SZ")


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
        help="Dagster's log level (stderr); DEBUG also prints the stack of a failure",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Exit 0 on a plan (even with backorders), 1 when the run or a step failed, 2 for bad
    arguments. Whatever happens, ``--json`` prints one object with ``status`` (and ``error``
    unless it is ``success``): scripts read stdout, never a traceback."""
    paths = ProjectPaths.from_env().with_(args.inbox, args.warehouse, args.outbox)
    if not paths.inbox.is_dir():
        return _fail(f"inbox folder {paths.inbox} does not exist", args.json)
    try:
        settings = load_settings_file(args.config) if args.config else {}
    except (OSError, ValueError) as error:
        return _fail(f"bad --config: {error}", args.json)
    if paths.inbox == SAMPLE_INBOX.resolve() and "wave_at" not in settings:
        settings = {**settings, "wave_at": SAMPLE_WAVE_AT}
        print(
            f"omniroute run: the bundled sample plans as of its day, {SAMPLE_WAVE_AT}",
            file=sys.stderr,
        )
    started = time.perf_counter()
    if args.dry_run:
        settings = {**settings, "publish": False}
    inbox, warehouse = str(paths.inbox), str(paths.warehouse)
    summary = RunSummary(run_id=None, status="error", seconds=0.0, inbox=inbox, warehouse=warehouse)
    figures = False
    try:
        result = run_allocation_job(paths, settings, args.log_level)
    except Exception as error:
        result = None
        summary.error = f"the run did not complete: {_describe(error, args.log_level)}"
    summary.seconds = round(time.perf_counter() - started, 3)
    if result is not None:
        summary.run_id, summary.errors = result.run_id, step_errors(result)
        summary.status = "success" if result.success else "failure"
        figures = _read_figures(summary, paths, args.log_level, wait=result.success)
        if summary.status == "success" and summary.objective is None and figures:
            summary.status = "failure"
            summary.message = summary.error = "the job finished without an allocation plan"
        if summary.status == "failure" and not summary.error:
            summary.error = summary.errors[0].splitlines()[0] if summary.errors else "a step failed"
    print_summary(summary, args.json, figures)
    return 0 if summary.status == "success" else 1


def _read_figures(summary: RunSummary, paths: ProjectPaths, log_level: str, wait: bool) -> bool:
    """The run's figures from the warehouse, if they can be read. After a failed run they are
    extras: read without waiting for other processes to close the file."""
    try:
        wait_s = None if wait else 0.0
        add_warehouse_figures(summary, paths.warehouse, paths.outbox, lock_wait_s=wait_s)
    except Exception as error:
        if summary.status == "success":
            summary.status = "error"
            summary.error = (
                f"the run {summary.run_id} succeeded but its summary could not be read from "
                f"the warehouse: {_describe(error, log_level)}"
            )
        return False
    return True


def _describe(error: BaseException, log_level: str) -> str:
    """One line for the user (the whole stack only with ``--log-level DEBUG``)."""
    if log_level == "DEBUG":
        traceback.print_exception(error, file=sys.stderr)
    text = (str(error).strip().splitlines() or [""])[0]
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _fail(message: str, as_json: bool) -> int:
    if as_json:
        print(json.dumps({"status": "error", "error": message, "message": message}))
    print(f"omniroute run: {message}", file=sys.stderr)
    return 2
