"""Drive a real ``dg dev`` and its web UI (Dagster 1.13) from tests.

Selectors were found against the running 1.13 UI; they prefer roles, visible text and hrefs
over generated CSS class names (the one class used is matched by its stable module prefix).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import expect

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# No telemetry, no "join the community" dialog over the page.
DAGSTER_YAML = "telemetry:\n  enabled: false\nnux:\n  enabled: false\n"
TERMINAL = {"SUCCESS", "FAILURE", "CANCELED"}
RUN_URL = re.compile(r"/runs/([0-9a-f-]{36})")
_RESET_SIGNALS_AND_EXEC = (
    "import os, signal, sys\n"
    "for s in (signal.SIGINT, signal.SIGTERM): signal.signal(s, signal.SIG_DFL)\n"
    "os.execv(sys.argv[1], sys.argv[1:])"
)


@dataclass(frozen=True)
class DagsterServer:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def graphql(url: str, query: str, variables: dict | None = None, timeout: float = 10) -> dict:
    """POST a query to the webserver's GraphQL endpoint (the API the UI itself uses)."""
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(f"{url}/graphql", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())["data"]


LOCATIONS = """{ workspaceOrError { ... on Workspace { locationEntries {
  name loadStatus locationOrLoadError { __typename ... on PythonError { message } } } } } }"""


def wait_until_ready(server: DagsterServer, timeout: float = 180) -> None:
    """Until the webserver answers and every code location has loaded (or fails loudly)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"dg dev exited early:\n{server.log_tail()}")
        try:
            entries = graphql(server.url, LOCATIONS)["workspaceOrError"]["locationEntries"]
        except (urllib.error.URLError, OSError, KeyError, TypeError, ValueError):
            entries = []
        loaded = [e for e in entries if e["loadStatus"] == "LOADED"]
        if entries and len(loaded) == len(entries):
            errors = [e for e in entries if e["locationOrLoadError"]["__typename"] == "PythonError"]
            if errors:
                raise RuntimeError(f"code location failed to load: {errors}")
            return
        time.sleep(1)
    raise TimeoutError(f"dg dev not ready after {timeout}s:\n{server.log_tail()}")


@contextmanager
def dagster_dev(workspace_dir: Path, env: dict[str, str], log: Path) -> Iterator[DagsterServer]:
    """Run ``dg dev`` in its own process group; always kill the whole group after."""
    port = free_port()
    dg = Path(sys.executable).with_name("dg")  # the project's own dg (dagster-dg-cli)
    dev = [str(dg), "dev", "-h", "127.0.0.1", "-p", str(port)]
    # A background job inherits ignored SIGINT/SIGTERM; give dg dev the defaults back so
    # it can shut its daemon and code servers down the way Ctrl+C does.
    command = [sys.executable, "-c", _RESET_SIGNALS_AND_EXEC, *dev]
    with open(log, "wb") as out:
        process = subprocess.Popen(
            command,
            cwd=workspace_dir,
            env={**os.environ, **env},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = DagsterServer(f"http://127.0.0.1:{port}", process, log)
    try:
        wait_until_ready(server)
        yield server
    finally:
        stop_group(process)


def stop_group(process: subprocess.Popen[bytes], grace: float = 20) -> None:
    """Ctrl+C the process group (webserver, daemon, code servers), then SIGKILL what lingers."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        with suppress(subprocess.TimeoutExpired):
            process.wait(timeout=grace / 2)
            break
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # children may outlive the leader
    process.wait(timeout=10)


RUN_STATUS = """query($id: ID!) {
  runOrError(runId: $id) { __typename ... on Run { status } }
  logsForRun(runId: $id) { ... on EventConnection { events { __typename
    ... on ExecutionStepFailureEvent { stepKey error { message } }
    ... on RunFailureEvent { message } } } } }"""


def wait_for_run(url: str, run_id: str, timeout: float = 300) -> tuple[str, list[str]]:
    """Poll until the run ends; returns its status and any failure messages."""
    deadline = time.monotonic() + timeout
    status = "UNKNOWN"
    while time.monotonic() < deadline:
        data = graphql(url, RUN_STATUS, {"id": run_id})
        status = (data.get("runOrError") or {}).get("status", "UNKNOWN")
        if status in TERMINAL:
            events = (data.get("logsForRun") or {}).get("events") or []
            failures = [
                f"{e.get('stepKey', 'run')}: {(e.get('error') or e).get('message')}"
                for e in events
                if e["__typename"] in {"ExecutionStepFailureEvent", "RunFailureEvent"}
            ]
            return status, failures
        time.sleep(2)
    return status, [f"run still {status} after {timeout}s"]


# ---- UI steps (Playwright sync API; ``page`` is a playwright Page) ------------------------


def sidebar_asset_names(page, url: str) -> set[str]:
    """Open the asset graph (Lineage), unfold every group in its sidebar, read the names."""
    page.goto(f"{url}/asset-groups")
    page.locator("svg foreignObject").first.wait_for()
    items = page.locator("[class*='AssetSidebarNode_itemContainer']")
    items.first.wait_for()
    folded = items.locator("> button:has([aria-label='arrow_drop_down'][style*='rotate(-90deg)'])")
    for _ in range(200):  # each click unfolds one group
        if folded.count() == 0:
            break
        folded.first.click()
    return set(items.locator("[title]").evaluate_all("els => els.map(e => e.title)"))


def _graph_menu(page, item: str) -> bool:
    """Click an item of the graph's settings menu; False when the menu does not offer it."""
    page.get_by_role("button", name="settings").last.click()
    entry = page.get_by_role("menuitem", name=re.compile(item))
    found = entry.count() > 0
    if found:
        entry.click()
    page.keyboard.press("Escape")
    page.wait_for_timeout(1500)  # the layout animates into place
    return found


def show_asset_graph(page, url: str, names: set[str]) -> None:
    """Open the asset graph with groups unfolded, unless that zooms out past reading.

    Fitted to the window, a wide unfolded graph draws only group outlines; then the folded
    view (one box per group) is the one worth a screenshot.
    """
    page.goto(f"{url}/asset-groups")
    page.locator("svg foreignObject").first.wait_for()
    if not _graph_menu(page, "Expand all groups"):
        return
    texts = page.locator("svg foreignObject").evaluate_all("els => els.map(e => e.textContent)")
    if not any(name in (text or "") for text in texts for name in names):
        _graph_menu(page, "Collapse all groups")


LAUNCH_BUTTON = re.compile(r"^\s*(Materialize|Launch run)\s*$")


def open_launchpad(page, url: str, job: str):
    """Jobs → <job> → Materialize all ▾ → Open launchpad; returns the dialog.

    Dagster 1.13 shows asset jobs as an asset graph: the launchpad is the dialog behind the
    arrow next to "Materialize all"; its launch button reads "Materialize" ("Launch run" for
    op jobs).
    """
    page.goto(f"{url}/jobs")
    page.locator(f"a[href$='/jobs/{job}']").first.click()
    materialize_all = page.get_by_role("button", name="Materialize all")
    materialize_all.wait_for()
    # the caret beside "Materialize all" (same flex box) opens the launch options
    materialize_all.locator(
        "xpath=ancestor::div[1]//button[.//*[@aria-label='arrow_drop_down']]"
    ).click()
    page.get_by_role("menuitem", name="Open launchpad").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text(re.compile(r"^Launchpad")).first.wait_for()
    return dialog


def type_config(dialog, page, text: str) -> None:
    """Replace the launchpad's config text, as a planner would: click the editor, select all,
    type (inserted as one edit, so the editor's autocomplete does not add to it)."""
    editor = dialog.locator(".CodeMirror").first
    editor.wait_for()
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(text)


def launch_is_refused(page, dialog, message: str, timeout_ms: float = 60_000) -> str:
    """Click Launch and wait for the refusal naming ``message`` (Dagster's schema has no
    ranges, so the launchpad's own check passes; the code location checks the values when it
    plans the run, before any step, and the UI shows its error). The page's text."""
    dialog.locator("button", has_text=LAUNCH_BUTTON).click()
    try:
        page.get_by_text(message, exact=False).first.wait_for(timeout=timeout_ms)
    except Exception as error:
        page.screenshot(path="/tmp/launchpad_failure.png")
        raise AssertionError(
            f"no {message!r} after Launch: {page.inner_text('body')[:3000]}"
        ) from error
    return page.inner_text("body")


def launch(page, dialog) -> str:
    """Click the launchpad's Launch once the config is valid; returns the run id."""
    button = dialog.locator("button", has_text=LAUNCH_BUTTON)
    try:  # the launchpad validates the config first; a run that cannot start stays disabled
        expect(button).to_be_enabled(timeout=30_000)
    except AssertionError as error:
        raise AssertionError(f"launchpad cannot launch: {dialog.inner_text()[:2000]}") from error
    button.click()
    page.wait_for_url(RUN_URL)
    match = RUN_URL.search(page.url)
    assert match, page.url
    return match.group(1)


def launch_job_from_launchpad(page, url: str, job: str) -> str:
    """The job with its default config (preset daily_wave), from the launchpad; its run id."""
    return launch(page, open_launchpad(page, url, job))
