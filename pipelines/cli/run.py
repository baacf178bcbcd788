"""``omniroute run``: one wave of ``allocation_job`` through Dagster, then its summary."""

from __future__ import annotations

import json
import sys
import time
import traceback
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from assets.config import AllocationConfig
from pipelines.cli.progress import WaveProgress
from pipelines.cli.summary import RunSummary, add_warehouse_figures, print_summary
from pipelines.paths import PROJECT_ROOT, ProjectPaths
from pipelines.presets import ALLOCATION_STEP, PRESETS, SettingsError, resolve_settings
from pipelines.runner import run_allocation_job, step_errors
from pipelines.settings_file import load_settings_file
from samples.generator import START

# The bundled sample is one morning's files (stock counted, supply on its way, the night's
# orders): planned as of that morning's first wave unless the settings say otherwise.
SAMPLE_INBOX = PROJECT_ROOT / "data" / "sample"
SAMPLE_WAVE_AT = START.replace(hour=8).strftime("%Y-%m-%dT%H:%M:%SZ")

HELP = """Run one allocation wave through Dagster on an inbox, then print its summary.

Ingests and validates the inbox's partner files, sources the open order lines, publishes the
instructions per node, the backorders and one reply per partner file to the outbox, and
writes the KPI report. Progress goes to stderr, step by step; the summary to stdout.
"""
EPILOG = (
    "Settings, last wins: the preset (--preset, default daily_wave: "
    + "; ".join(f"{name}: {p.purpose}" for name, p in PRESETS.items())
    + "), then the --config file, then each --set NAME=VALUE. Impossible values are refused "
    "before anything runs.\n\n"
    "Exit codes: 0 a plan (even with backorders), 1 the run or a step failed, 2 bad arguments "
    "or settings."
)


class LogLevel(StrEnum):
    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


def run(
    inbox: Annotated[
        Path | None, typer.Option(help="Partner inbox folder (default: the bundled sample).")
    ] = None,
    warehouse: Annotated[Path | None, typer.Option(help="DuckDB warehouse file.")] = None,
    outbox: Annotated[Path | None, typer.Option(help="Outbox folder.")] = None,
    preset: Annotated[
        str | None,
        typer.Option(help=f"Named settings to start from: {', '.join(PRESETS)}."),
    ] = None,
    config: Annotated[
        Path | None, typer.Option(help="Run settings file, YAML or JSON (launchpad fields).")
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set", metavar="NAME=VALUE", help="One setting (repeatable): --set mip_gap=0.01."
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object on stdout and nothing else.")
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option(help="Plan as a scenario: store plan, report and marts, publish nothing."),
    ] = False,
    log_level: Annotated[
        LogLevel,
        typer.Option(
            case_sensitive=False,
            help="Dagster's log level on stderr; DEBUG also prints the stack of a failure.",
        ),
    ] = LogLevel.WARNING,
) -> int:
    """Exit 0 on a plan (even with backorders), 1 when the run or a step failed, 2 for bad
    arguments. Whatever happens, ``--json`` prints one object with ``status`` (and ``error``
    unless it is ``success``): scripts read stdout, never a traceback."""
    paths = ProjectPaths.from_env().with_(inbox, warehouse, outbox)
    if not paths.inbox.is_dir():
        return _fail(f"inbox folder {paths.inbox} does not exist", as_json)
    try:
        settings, requested = _settings(preset, config, set_ or [], dry_run)
    except (OSError, ValueError) as error:
        return _fail(f"bad settings: {error}", as_json)
    if paths.inbox == SAMPLE_INBOX.resolve() and "wave_at" not in settings:
        settings = {**settings, "wave_at": SAMPLE_WAVE_AT}
        if not as_json:
            print(
                f"omniroute run: the bundled sample plans as of its day, {SAMPLE_WAVE_AT}",
                file=sys.stderr,
            )
    level = log_level.value
    summary = RunSummary(
        run_id=None,
        status="error",
        seconds=0.0,
        inbox=str(paths.inbox),
        warehouse=str(paths.warehouse),
        preset=requested.preset,
        requested_gap=requested.mip_gap,
    )
    started = time.perf_counter()
    figures = False
    try:
        if as_json:
            result = run_allocation_job(paths, settings, level)
        else:
            with WaveProgress() as progress:
                result = run_allocation_job(paths, settings, level, on_step=progress)
    except Exception as error:
        result = None
        summary.error = f"the run did not complete: {_describe(error, level)}"
    summary.seconds = round(time.perf_counter() - started, 3)
    if result is not None:
        summary.run_id, summary.errors = result.run_id, step_errors(result)
        summary.status = "success" if result.success else "failure"
        figures = _read_figures(summary, paths, level, wait=result.success)
        if summary.status == "success" and summary.objective is None and figures:
            summary.status = "failure"
            summary.message = summary.error = "the job finished without an allocation plan"
        if summary.status == "failure" and not summary.error:
            summary.error = summary.errors[0].splitlines()[0] if summary.errors else "a step failed"
    print_summary(summary, as_json, figures)
    return 0 if summary.status == "success" else 1


def _settings(
    preset: str | None, config: Path | None, assignments: list[str], dry_run: bool
) -> tuple[dict[str, Any], AllocationConfig]:
    """The job's config from the preset, the file and the --set pairs, and the allocation
    settings it resolves to; checked here, so a bad value is exit 2 before Dagster starts."""
    settings: dict[str, Any] = load_settings_file(config) if config else {}
    if preset is not None:
        settings["preset"] = preset
    for assignment in assignments:
        name, sep, text = assignment.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"--set {assignment!r}: expected NAME=VALUE")
        settings[name.strip()] = yaml.safe_load(text) if text.strip() else None
    if dry_run:
        settings["publish"] = False
    try:
        steps = resolve_settings(settings)
    except SettingsError as error:
        raise ValueError(str(error)) from None
    return settings, AllocationConfig(**steps[ALLOCATION_STEP])


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
