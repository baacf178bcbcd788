"""Allocation waves: a schedule (stopped by default) and a sensor on the partner inbox.

Both launch the job with a preset and the deployment's time zone (``OMNIROUTE_TIMEZONE``,
default UTC: the schedule's clock and the waves' business day), so a tuned wave runs the same
from the UI, the CLI, the schedule and the sensor.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dagster as dg

from assets.resources import InboxResource, WarehouseResource
from contracts.inbox import InboxRules, inbox_entries
from pipelines.presets import DEFAULT_PRESET, PRESETS
from warehouse.figures import ingested_hashes

ALLOCATION_JOB = "allocation_job"
WAVE_HOURS = "0 6,10,14,18 * * *"


@dataclass(frozen=True)
class WaveAutomation:
    """The schedule's and the sensor's settings, from the environment, checked at load."""

    timezone: str = "UTC"
    schedule_preset: str = DEFAULT_PRESET
    sensor_preset: str = DEFAULT_PRESET

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"OMNIROUTE_TIMEZONE {self.timezone!r} is not an IANA zone") from error
        for name, preset in (("SCHEDULE", self.schedule_preset), ("SENSOR", self.sensor_preset)):
            if preset not in PRESETS:
                raise ValueError(
                    f"OMNIROUTE_{name}_PRESET {preset!r} is not a preset: {', '.join(PRESETS)}"
                )

    @classmethod
    def from_env(cls) -> WaveAutomation:
        return cls(
            timezone=os.environ.get("OMNIROUTE_TIMEZONE") or "UTC",
            schedule_preset=os.environ.get("OMNIROUTE_SCHEDULE_PRESET") or DEFAULT_PRESET,
            sensor_preset=os.environ.get("OMNIROUTE_SENSOR_PRESET") or DEFAULT_PRESET,
        )

    def run_config(self, preset: str) -> dict[str, Any]:
        """The job config of an automated wave: the preset, business day in this zone."""
        return {"preset": preset, "business_timezone": self.timezone}


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


def _first_cursor(current: dict[str, list], warehouse: Path) -> dict[str, list]:
    """A sensor turned on for the first time: the files the warehouse already ingested are
    old, not new (else every old file would launch a wave)."""
    taken = ingested_hashes(warehouse)
    return {name: entry for name, entry in current.items() if entry[2] in taken}


@dg.sensor(
    job_name=ALLOCATION_JOB,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="Requests an allocation run when new or changed partner files land in the "
    "inbox (files the warehouse already ingested do not count), with OMNIROUTE_SENSOR_PRESET.",
)
def inbox_sensor(
    context: dg.SensorEvaluationContext, inbox: InboxResource, warehouse: WarehouseResource
) -> dg.SensorResult:
    """Cursor = the files seen (name, size, mtime, hash); run_key = the new files' name+hash."""
    rules = inbox.rules()
    seen = json.loads(context.cursor) if context.cursor else {}
    current = inbox_fingerprints(Path(inbox.path), seen, rules)
    if not context.cursor:
        try:
            seen = _first_cursor(current, Path(warehouse.path))
        except Exception as error:  # a run holds the file (duckdb.IOException): next tick
            return dg.SensorResult(skip_reason=f"Warehouse busy, cannot tell old files: {error}")
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
        run_requests=[
            dg.RunRequest(
                run_key=run_key,
                run_config=AUTOMATION.run_config(AUTOMATION.sensor_preset),
                tags={
                    "omniroute/new_files": names[:1000],
                    "omniroute/preset": AUTOMATION.sensor_preset,
                },
            )
        ],
        cursor=json.dumps(current),
    )


AUTOMATION = WaveAutomation.from_env()

allocation_wave_schedule = dg.ScheduleDefinition(
    name="allocation_wave_schedule",
    job_name=ALLOCATION_JOB,
    cron_schedule=WAVE_HOURS,
    execution_timezone=AUTOMATION.timezone,
    run_config=AUTOMATION.run_config(AUTOMATION.schedule_preset),
    tags={"omniroute/preset": AUTOMATION.schedule_preset},
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description=f"Allocation waves at 06:00, 10:00, 14:00 and 18:00 {AUTOMATION.timezone} "
    f"with preset {AUTOMATION.schedule_preset} (OMNIROUTE_TIMEZONE, OMNIROUTE_SCHEDULE_PRESET; "
    "turn on in the UI).",
)
