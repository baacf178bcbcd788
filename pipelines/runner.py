"""Running ``allocation_job`` in-process through Dagster, recorded where the UI looks."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import dagster as dg

from pipelines.automation import ALLOCATION_JOB
from pipelines.definitions import build_definitions
from pipelines.paths import ProjectPaths, ensure_dagster_home
from pipelines.runs import fail_dead_runs, process_tags

if TYPE_CHECKING:
    from dagster._utils.error import SerializableErrorInfo

STEP_EVENTS = {"STEP_START", "STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED"}


@dataclass(frozen=True)
class StepEvent:
    """A step of the wave started, succeeded, failed or was skipped (for progress displays)."""

    kind: str  # STEP_START | STEP_SUCCESS | STEP_FAILURE | STEP_SKIPPED
    step: str
    steps: int  # how many steps the job has


def run_allocation_job(
    paths: ProjectPaths,
    settings: dict[str, Any] | None = None,
    log_level: str = "INFO",
    on_step: Callable[[StepEvent], None] | None = None,
) -> dg.ExecuteInProcessResult:
    """One wave on these folders; ``settings`` are the job's config (``pipelines.presets``: a
    preset and any launchpad field), ``on_step`` hears each step start and end.

    The run is stored in ``DAGSTER_HOME`` (default ``.dagster_home/``), so it shows in the UI's
    run history; a failed step is reported in the result, not raised."""
    job = build_definitions(paths).resolve_job_def(ALLOCATION_JOB)
    loggers = {"console": console_logger}
    run_config: dict[str, Any] = {
        **(settings or {}),
        "loggers": {"console": {"config": {"log_level": log_level}}},
    }
    if on_step is not None:
        loggers["progress"] = _progress_logger(on_step, len(job.graph.nodes))
        run_config["loggers"]["progress"] = {}
    job = job.with_logger_defs(loggers)
    with dg.DagsterInstance.from_config(str(ensure_dagster_home())) as instance:
        fail_dead_runs(instance)
        return job.execute_in_process(
            instance=instance, run_config=run_config, raise_on_error=False, tags=process_tags()
        )


class _StepHandler(logging.Handler):
    def __init__(self, on_step: Callable[[StepEvent], None], steps: int) -> None:
        super().__init__(logging.DEBUG)
        self.on_step, self.steps = on_step, steps

    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "dagster_event", None)
        kind = getattr(event, "event_type_value", None)
        if kind in STEP_EVENTS and event is not None and event.step_key:
            self.on_step(StepEvent(kind, event.step_key, self.steps))


def _progress_logger(on_step: Callable[[StepEvent], None], steps: int) -> dg.LoggerDefinition:
    def build(_: dg.InitLoggerContext) -> logging.Logger:
        logger = logging.getLogger(f"omniroute.progress.{id(on_step)}")
        logger.setLevel(logging.DEBUG)
        logger.propagate = False
        logger.handlers = [_StepHandler(on_step, steps)]
        return logger

    return dg.LoggerDefinition(build, description="Step starts and ends, for `omniroute run`.")


def error_text(error: SerializableErrorInfo) -> str:
    """``Class: message`` of the error the step's own code raised (Dagster wraps it)."""
    cause = error.cause or error
    text = cause.message.strip() or (cause.cls_name or "failed")
    name, sep, rest = text.partition(": ")
    return f"{name.rsplit('.', 1)[-1]}: {rest}" if sep and " " not in name else text


def step_errors(result: dg.ExecuteInProcessResult) -> list[str]:
    """One entry per failed step: which asset, what went wrong."""
    errors = []
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            error = getattr(event.event_specific_data, "error", None)
            errors.append(f"{event.step_key}: {error_text(error) if error else 'failed'}")
    return errors


def _one_line_errors(record: logging.LogRecord) -> bool:
    """An event's error as one line: its stack stays in the run's event log (the UI shows it),
    so a failed run's console is readable."""
    event = getattr(record, "dagster_event", None)
    error = getattr(getattr(event, "event_specific_data", None), "error", None)
    if error is not None:
        head = record.getMessage().split("\n\n", 1)[0]
        record.msg, record.args = f"{head} {error_text(error).splitlines()[0]}", ()
    return True


@dg.logger(
    dg.colored_console_logger.config_schema,
    description="Dagster's colored console logger; below DEBUG an error is one line.",
)
def console_logger(init_context: dg.InitLoggerContext) -> logging.Logger:
    """The console logger of ``omniroute run`` (stack traces only with ``--log-level DEBUG``)."""
    logger = dg.colored_console_logger.logger_fn(init_context)
    if logger.getEffectiveLevel() > logging.DEBUG:
        logger.addFilter(_one_line_errors)
    return logger
