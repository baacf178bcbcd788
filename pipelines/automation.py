"""Allocation waves: a schedule (stopped by default) and a sensor on the partner inbox."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import dagster as dg

from assets.resources import InboxResource
from contracts.kinds import PARTNER_FILE_SUFFIXES

ALLOCATION_JOB = "allocation_job"


def inbox_fingerprints(inbox: Path, known: dict[str, list] | None = None) -> dict[str, list]:
    """``{file name: [size, mtime_ns, sha256]}`` of the partner files in the inbox.

    A file whose size and mtime are unchanged keeps its known hash, so a large inbox is not
    re-read on every sensor tick.
    """
    known = known or {}
    fingerprints: dict[str, list] = {}
    if not inbox.is_dir():
        return fingerprints
    for path in sorted(inbox.iterdir()):
        if not path.is_file() or path.suffix.lower() not in PARTNER_FILE_SUFFIXES:
            continue
        stat = path.stat()
        previous = known.get(path.name)
        if previous and previous[0] == stat.st_size and previous[1] == stat.st_mtime_ns:
            fingerprints[path.name] = previous
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        fingerprints[path.name] = [stat.st_size, stat.st_mtime_ns, digest]
    return fingerprints


def new_or_changed(current: dict[str, list], seen: dict[str, list]) -> list[tuple[str, str]]:
    """(name, sha256) of files that are new or whose content changed since the cursor."""
    return sorted(
        (name, entry[2])
        for name, entry in current.items()
        if name not in seen or seen[name][2] != entry[2]
    )


@dg.sensor(
    job_name=ALLOCATION_JOB,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Requests an allocation run when new or changed partner files land in the inbox.",
)
def inbox_sensor(context: dg.SensorEvaluationContext, inbox: InboxResource) -> dg.SensorResult:
    """Cursor = the files seen (name, size, mtime, hash); run_key = the new files' name+hash."""
    seen = json.loads(context.cursor) if context.cursor else {}
    current = inbox_fingerprints(Path(inbox.path), seen)
    arrived = new_or_changed(current, seen)
    if not arrived:
        return dg.SensorResult(
            skip_reason="No new partner files in the inbox.", cursor=json.dumps(current)
        )
    run_key = hashlib.sha256(json.dumps(arrived).encode()).hexdigest()[:16]
    names = ", ".join(name for name, _ in arrived)
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=run_key, tags={"omniroute/new_files": names[:1000]})],
        cursor=json.dumps(current),
    )


allocation_wave_schedule = dg.ScheduleDefinition(
    name="allocation_wave_schedule",
    job_name=ALLOCATION_JOB,
    cron_schedule="0 6,10,14,18 * * *",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Allocation waves at 06:00, 10:00, 14:00 and 18:00 (turn on in the UI).",
)
