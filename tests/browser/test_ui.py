"""The planner's path through the real Dagster UI: see the asset graph, launch, watch it succeed.

Needs Debian's ``/usr/bin/chromium`` (Playwright drives it; no browser download). Without it
the test skips locally, and fails in CI (``CI=true``), where the image must provide it.
"""

from __future__ import annotations

import os
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from tests.browser.dagster_ui import (
    CHROMIUM,
    RUN_URL,
    launch,
    launch_is_refused,
    launch_job_from_launchpad,
    open_launchpad,
    show_asset_graph,
    sidebar_asset_names,
    type_config,
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

    report = _report_page(deployment["outbox"], run_id)
    if any("report" in name for name in expected):
        assert report is not None, f"the report asset ran but run {run_id} has no page"
    if report is not None:
        _check_report_page(page, report)
        page.screenshot(path=str(SCREENSHOTS / "kpi_report.png"), full_page=True)
    timings["report_checked"] = time.monotonic() - started
    timings["total"] = time.monotonic() - started
    print("UI timings (s):", {k: round(v, 1) for k, v in timings.items()})


def _report_page(outbox: Path, run_id: str) -> Path | None:
    """The run's page in outbox/reports (``<date>_wave<N>_<run id's first 8>.html``); the
    wave folder holds partner files only."""
    assert not list((outbox / run_id).glob("kpi_report.*")), "a report in the partner folder"
    pages = list((outbox / "reports").glob(f"*_{run_id.replace('-', '')[:8]}.html"))
    assert len(pages) <= 1, pages
    if pages:
        latest = (outbox / "reports" / "LATEST").read_text().strip()
        assert latest == pages[0].name, "reports/LATEST does not name the newest page"
    return pages[0] if pages else None


def _check_report_page(page, report: Path) -> None:
    """Offline (every non-file request is refused and recorded), titled by date and wave,
    every chart drawn by Plotly with both axis titles, the node map among them."""
    fetched: list[str] = []

    def refuse_network(route) -> None:
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            fetched.append(route.request.url)
            route.abort()

    page.route("**/*", refuse_network)
    page.goto(report.as_uri())
    charts = page.locator(".plotly-graph-div")
    expected = charts.count()
    assert expected >= 10, f"only {expected} chart placeholders"
    page.wait_for_function(
        "n => document.querySelectorAll('.js-plotly-plot svg.main-svg').length >= n",
        arg=expected,
    )
    drawn = page.locator(".js-plotly-plot").count()
    assert drawn == expected, f"{drawn} of {expected} charts drawn"
    x_titles, y_titles = (
        page.locator(".js-plotly-plot .xtitle"),
        page.locator(".js-plotly-plot .ytitle"),
    )
    assert x_titles.count() == expected and y_titles.count() == expected
    assert all(t.strip() for t in x_titles.all_text_contents() + y_titles.all_text_contents())
    assert "longitude (°)" in x_titles.all_text_contents()  # the node map
    title = page.locator("h1").inner_text()
    match = re.fullmatch(r"Wave 1 of (\d{4}-\d{2}-\d{2}), \d{2}:\d{2} UTC", title)
    assert match, title
    today = datetime.now(UTC).date()  # a generated inbox plans as of now
    assert match.group(1) in {str(today), str(today - timedelta(days=1))}, title
    assert page.title() == title
    for section in ("Benefit estimates", "Why: the biggest decisions", "Data quality of the intake",
                    "Settings", "Nodes"):  # fmt: skip
        assert page.get_by_role("heading", name=section, exact=True).is_visible(), section
    assert fetched == [], f"the page fetched {fetched}"


def test_the_launchpad_refuses_a_gap_of_5_and_launches_a_tuned_preset(
    browser, page, dagster_server: str, deployment
) -> None:
    """The planner's tuning path: an impossible value is refused at Launch, in one sentence
    naming the field, and no run is created; a preset with one field changed launches and
    runs with exactly those settings (quick_look: a what-if, stored as a scenario)."""
    dialog = open_launchpad(page, dagster_server, JOB)
    type_config(dialog, page, "mip_gap: 5\n")
    text = launch_is_refused(page, dialog, "mip_gap = 5.0: input should be less than or equal to 1")
    assert "Invalid allocation settings" in text
    assert not RUN_URL.search(page.url)  # no run was created

    page.screenshot(path=str(SCREENSHOTS / "launchpad_refused.png"))
    dialog = open_launchpad(page, dagster_server, JOB)  # a fresh launchpad
    type_config(dialog, page, "preset: quick_look\nmip_gap: 0.05\n")
    run_id = launch(page, dialog)
    status, failures = wait_for_run(dagster_server, run_id, timeout=300)
    assert status == "SUCCESS", f"run ended {status}: {failures}"
    with duckdb.connect(str(deployment["warehouse"]), read_only=True) as con:
        kind, gap, limit = con.execute(
            "SELECT kind, settings->>'mip_gap', settings->>'time_limit_s' FROM plan.runs "
            "WHERE run_id = ? AND method = 'optimizer'",
            [run_id],
        ).fetchall()[0]
    assert (kind, float(gap), float(limit)) == ("scenario", 0.05, 30.0)
