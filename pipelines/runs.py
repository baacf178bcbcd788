"""Runs whose process died: marked failed, so the one-at-a-time queue never waits on a ghost.

Dagster's run monitoring (``dagster.yaml``: ``run_monitoring``) watches the runs its daemon
launched. Runs of ``omniroute run`` execute in the command's own process, so the command tags
them with its host and pid, and this check (run by the command before each wave and by the
``dead_run_sensor``) fails every started run whose process on this host is gone.
"""

from __future__ import annotations

import os
import socket

import dagster as dg

PID_TAG, HOST_TAG = "omniroute/pid", "omniroute/host"
ALIVE = (dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING)


def process_tags() -> dict[str, str]:
    """The tags that let a later run tell whether this one's process still lives."""
    return {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def fail_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark failed every started run of this host whose process is gone; their run ids."""
    host = socket.gethostname()
    failed = []
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=list(ALIVE))):
        pid, where = run.tags.get(PID_TAG), run.tags.get(HOST_TAG)
        if pid is None or where != host or int(pid) == os.getpid() or _alive(int(pid)):
            continue
        instance.report_run_failed(run, f"the process of this run ({pid}) is gone (killed?)")
        failed.append(run.run_id)
    return failed


@dg.sensor(
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Marks failed the started runs of `omniroute run` whose process died, so a "
    "run launched from the UI never waits behind them.",
)
def dead_run_sensor(context: dg.SensorEvaluationContext) -> dg.SkipReason:
    failed = fail_dead_runs(context.instance)
    return dg.SkipReason(f"marked failed: {', '.join(failed)}" if failed else "no dead runs")
