"""The planner's path through the real Dagster UI: see the asset graph, launch, watch it succeed.

Needs Debian's ``/usr/bin/chromium`` (Playwright drives it; no browser download). Without it
the test skips locally, and fails in CI (``CI=true``), where the image must provide it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.browser.dagster_ui import (
    CHROMIUM,
    launch_job_from_launchpad,
    show_asset_graph,
    sidebar_asset_names,
    wait_for_run,
)

pytestmark = pytest.mark.browser

if not CHROMIUM.exists() and os.environ.get("CI", "").lower() not in {"1", "true", "yes"}:
    pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)", allow_module_level=True)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
JOB = "allocation_job"


def expected_assets() -> set[str]:
    """Whatever lives under assets/ today, read from the code location itself."""
    from pipelines.definitions import defs

    keys = defs.resolve_asset_graph().materializable_asset_keys
    return {key.path[-1] for key in keys}


def test_asset_graph_and_allocation_run(browser, page, dagster_server: str, deployment) -> None:
    """Every asset is in the graph; allocation_job launched from the launchpad succeeds.

    ``browser`` is requested first, so a missing Chromium fails before dg dev starts.
    """
    timings: dict[str, float] = {}
    started = time.monotonic()
    expected = expected_assets()
    assert expected, "no assets under assets/: allocation_job has nothing to run"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    shown = sidebar_asset_names(page, dagster_server)
    missing = expected - shown
    assert not missing, f"asset graph does not list {sorted(missing)} (shown: {sorted(shown)})"
    timings["asset_graph"] = time.monotonic() - started

    run_id = launch_job_from_launchpad(page, dagster_server, JOB)
    timings["launched"] = time.monotonic() - started
    status, failures = wait_for_run(dagster_server, run_id, timeout=300)
    timings["run_finished"] = time.monotonic() - started
    if status == "SUCCESS":  # the UI agrees with the API before the picture is taken
        page.get_by_text("Success", exact=True).first.wait_for()
    page.screenshot(path=str(SCREENSHOTS / "run.png"))
    assert status == "SUCCESS", f"run {run_id} ended {status}: {failures}"

    show_asset_graph(page, dagster_server, expected)
    page.screenshot(path=str(SCREENSHOTS / "asset_graph.png"))

    report = deployment["outbox"] / run_id / "kpi_report.html"
    if any("report" in name for name in expected):
        assert report.exists(), f"the report asset ran but {report} is missing"
    if report.exists():
        page.goto(report.as_uri())
        page.screenshot(path=str(SCREENSHOTS / "kpi_report.png"), full_page=True)
    timings["total"] = time.monotonic() - started
    print("UI timings (s):", {k: round(v, 1) for k, v in timings.items()})
