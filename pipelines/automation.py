"""Allocation waves: a schedule (stopped by default) and a sensor on the partner inbox."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import dagster as dg

from assets.resources import InboxResource
from contracts.inbox import InboxRules, inbox_entries

ALLOCATION_JOB = "allocation_job"


def inbox_fingerprints(
    inbox: Path, known: dict[str, list] | None = None, rules: InboxRules | None = None
) -> dict[str, list]:
    """``{file name: [size, mtime_ns, sha256]}`` of the inbox's entries as a run would see them.

    A file whose size and mtime are unchanged keeps its known hash, so a large inbox is not
    re-read on every sensor tick; an entry the boundary refuses (link, folder, too large) is
    never read: its hash stands for name, size and time.
    """
    known = known or {}
    fingerprints: dict[str, list] = {}
    if not inbox.is_dir():
        return fingerprints
    for entry in inbox_entries(inbox, rules or InboxRules.from_env()):
        previous = known.get(entry.display_name)
        if previous and previous[0] == entry.size and previous[1] == entry.mtime_ns:
            fingerprints[entry.display_name] = previous
            continue
        fingerprints[entry.display_name] = [entry.size, entry.mtime_ns, entry.identity()]
    return fingerprints


def settling(current: dict[str, list], names: list[str], rules: InboxRules) -> list[str]:
    """Of these files, those not yet quiet (still being written)."""
    return [n for n in names if not rules.is_quiet(current[n][1])]


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
    rules = inbox.rules()
    current = inbox_fingerprints(Path(inbox.path), seen, rules)
    arrived = new_or_changed(current, seen)
    if not arrived:
        return dg.SensorResult(
            skip_reason="No new partner files in the inbox.", cursor=json.dumps(current)
        )
    young = settling(current, [name for name, _ in arrived], rules)
    if young:  # the cursor stays: the next tick sees them again, complete
        return dg.SensorResult(
            skip_reason=f"Waiting for files still being written: {', '.join(young)[:500]}"
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
