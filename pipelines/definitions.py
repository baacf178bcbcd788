"""The code location: every asset under ``assets/``, the allocation job, resources."""

from __future__ import annotations

import dagster as dg

import assets
from assets.resources import InboxResource, OutboxResource, WarehouseResource
from pipelines.automation import ALLOCATION_JOB, allocation_wave_schedule, inbox_sensor
from pipelines.paths import ProjectPaths
from pipelines.presets import WAVE_CONFIG
from pipelines.runs import dead_run_sensor


def build_definitions(paths: ProjectPaths) -> dg.Definitions:
    """Definitions bound to one set of folders (the CLI and tests pass their own)."""
    all_assets = dg.load_assets_from_package_module(assets)
    all_checks = dg.load_asset_checks_from_package_module(assets)
    allocation_job = dg.define_asset_job(
        ALLOCATION_JOB,
        selection=dg.AssetSelection.all(),
        description="Inbox to outbox: ingest, validate, allocate, instruct, report.",
        # One process: DuckDB takes one writer; assets run in order inside one run.
        executor_def=dg.in_process_executor,
        config=WAVE_CONFIG,  # one settings source for every asset, checked before any step
    )
    return dg.Definitions(
        assets=all_assets,
        asset_checks=all_checks,
        jobs=[allocation_job],
        schedules=[allocation_wave_schedule],
        sensors=[inbox_sensor, dead_run_sensor],
        resources={
            "warehouse": WarehouseResource(path=str(paths.warehouse)),
            "inbox": InboxResource(path=str(paths.inbox)),
            "outbox": OutboxResource(path=str(paths.outbox)),
        },
    )


defs = build_definitions(ProjectPaths.from_env())
