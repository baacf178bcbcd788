"""A warehouse after real runs, shared by the catalog, README-query and shell tests.

No session fixture of the tree runs the job (the job tests' are module-scoped in
``tests/pipelines``), so this package runs it once: a small generated inbox (its broken
marketplace file included, so quarantine has rows) through the real ``allocation_job`` in
Dagster, one dry run (a scenario: it plans every line too) then the published wave, into a
temporary DuckDB file.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from pipelines.automation import ALLOCATION_JOB
from pipelines.definitions import build_definitions
from pipelines.paths import ProjectPaths

SETTINGS = {"max_parcels_per_order": 2, "time_limit_s": 20.0}


@pytest.fixture(scope="package")
def job_warehouse(tmp_path_factory, sample_inbox) -> Path:
    """The warehouse file after a wave and a dry run of the real job (both succeeded)."""
    root = tmp_path_factory.mktemp("catalog_job")
    sample_inbox(root / "inbox", orders=150, seed=11, stores=8, dcs=2, skus=40)
    paths = ProjectPaths(inbox=root / "inbox", warehouse=root / "w.duckdb", outbox=root / "out")
    job = build_definitions(paths).resolve_job_def(ALLOCATION_JOB)
    with dg.DagsterInstance.ephemeral() as instance:
        for publish in (False, True):
            config = {**SETTINGS, "publish": publish}  # the job's run settings (one config)
            result = job.execute_in_process(
                run_config=config, instance=instance, raise_on_error=False
            )
            failed = [e.step_key for e in result.all_events if e.is_step_failure]
            assert result.success, f"steps failed: {failed}"
    return paths.warehouse
