"""Fixtures for the browser tests: a real ``dg dev`` on temp folders, headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.dagster_ui import CHROMIUM, CHROMIUM_ARGS, DAGSTER_YAML, dagster_dev

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory, sample_inbox) -> dict[str, Path]:
    """Fresh DAGSTER_HOME, warehouse and outbox, and a small generated inbox of every kind.

    Smaller than the bundled sample so the UI run (allocation plus the benefit re-runs) stays
    short on a shared 2-core CI machine; the sample itself is run by the CLI tests' twin,
    ``omniroute run``, in the README.
    """
    root = tmp_path_factory.mktemp("ui")
    home, inbox = root / "dagster_home", root / "inbox"
    home.mkdir()
    (home / "dagster.yaml").write_text(DAGSTER_YAML)
    sample_inbox(inbox, orders=200, seed=5, stores=10, dcs=2, skus=60)
    return {
        "root": root,
        "home": home,
        "inbox": inbox,
        "warehouse": root / "warehouse" / "omniroute.duckdb",
        "outbox": root / "outbox",
    }


@pytest.fixture(scope="module")
def dagster_server(deployment: dict[str, Path]) -> Iterator[str]:
    env = {
        "DAGSTER_HOME": str(deployment["home"]),
        "OMNIROUTE_INBOX": str(deployment["inbox"]),
        "OMNIROUTE_WAREHOUSE": str(deployment["warehouse"]),
        "OMNIROUTE_OUTBOX": str(deployment["outbox"]),
    }
    with dagster_dev(PROJECT_ROOT, env, deployment["root"] / "dagster_dev.log") as server:
        yield server.url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing; CI must install Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        yield page
    finally:
        context.close()
