"""What ``omniroute run`` shows on stderr while a wave runs: each step as it ends, with its
time and the wave's elapsed time, and a live line naming the step running now.

On a terminal the live line ticks every second; in a log file (no terminal) the step lines
are written, and a long step says every ``HEARTBEAT_S`` seconds that it is still running.
"""

from __future__ import annotations

import sys
import threading
import time
from types import TracebackType

from rich.console import Console
from rich.status import Status

from pipelines.runner import StepEvent

HEARTBEAT_S = 30.0
MARKS = {"STEP_SUCCESS": "done", "STEP_FAILURE": "FAILED", "STEP_SKIPPED": "skipped"}


class WaveProgress:
    """A step listener (``run_allocation_job(on_step=...)``) that prints to stderr."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(file=sys.stderr, highlight=False, soft_wrap=True)
        self.started = time.monotonic()
        self.step_started: dict[str, float] = {}
        self.finished = 0
        self.status: Status | None = None
        self.running: str | None = None
        self.stopped = threading.Event()
        self.heartbeat = threading.Thread(target=self._beat, daemon=True)

    def __enter__(self) -> WaveProgress:
        self.started = time.monotonic()
        self.console.print("omniroute run: starting the wave", style="bold")
        if self.console.is_terminal:
            self.status = self.console.status("starting Dagster", spinner="dots")
            self.status.start()
        else:
            self.heartbeat.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stopped.set()
        if self.status is not None:
            self.status.stop()

    def _beat(self) -> None:
        while not self.stopped.wait(HEARTBEAT_S):
            step, now = self.running, time.monotonic()
            if step is not None:
                took = now - self.step_started.get(step, now)
                self.console.print(
                    f"[{self._elapsed(now):>7}]       {step} still running ({took:.0f} s)",
                    markup=False,
                )

    def __call__(self, event: StepEvent) -> None:
        now = time.monotonic()
        if event.kind == "STEP_START":
            self.step_started[event.step] = now
            self.running = event.step
            if self.status is not None:
                self.status.update(f"{event.step} running ({self._elapsed(now)} in)")
            return
        self.finished += 1
        self.running = None
        took = now - self.step_started.get(event.step, now)
        style = {"STEP_FAILURE": "bold red", "STEP_SKIPPED": "yellow"}.get(event.kind, "")
        self.console.print(
            f"[{self._elapsed(now):>7}] {self.finished:>2}/{event.steps} {event.step:<32} "
            f"{MARKS[event.kind]} in {took:.1f} s",
            style=style,
            markup=False,
        )

    def _elapsed(self, now: float) -> str:
        return f"{now - self.started:.1f} s"
