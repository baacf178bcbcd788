"""Running ``allocation_job`` in-process through Dagster, recorded where the UI looks."""

from __future__ import annotations

from typing import Any

import dagster as dg

from pipelines.automation import ALLOCATION_JOB
from pipelines.definitions import build_definitions
from pipelines.paths import ProjectPaths, ensure_dagster_home
from pipelines.runs import fail_dead_runs, process_tags

ALLOCATION_ASSET = "allocation_plan"


def run_allocation_job(
    paths: ProjectPaths, settings: dict[str, Any] | None = None, log_level: str = "INFO"
) -> dg.ExecuteInProcessResult:
    """One wave on these folders; ``settings`` configure ``allocation_plan`` (launchpad fields).

    The run is stored in ``DAGSTER_HOME`` (default ``.dagster_home/``), so it shows in the UI's
    run history; a failed step is reported in the result, not raised."""
    job = build_definitions(paths).resolve_job_def(ALLOCATION_JOB)
    run_config: dict[str, Any] = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    if settings:
        run_config["ops"] = {ALLOCATION_ASSET: {"config": settings}}
    with dg.DagsterInstance.from_config(str(ensure_dagster_home())) as instance:
        fail_dead_runs(instance)
        return job.execute_in_process(
            instance=instance, run_config=run_config, raise_on_error=False, tags=process_tags()
        )


def step_errors(result: dg.ExecuteInProcessResult) -> list[str]:
    """One line per failed step: which asset, what went wrong."""
    errors = []
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            error = getattr(event.event_specific_data, "error", None)
            cause = (error.cause or error) if error is not None else None
            message = cause.message.strip() if cause is not None else "failed"
            errors.append(f"{event.step_key}: {message}")
    return errors
