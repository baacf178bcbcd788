"""Named points where the kill tests stop a wave dead (``kill -9`` of its own process).

Each stage of a wave that writes something calls ``crash_point(name)``. In production nothing
happens; a test sets ``OMNIROUTE_CRASH_AT=<name>`` and the process kills itself there with
SIGKILL (no cleanup, no ``finally``), as a power cut or the OOM killer would. The next run must
then find either the whole wave or none of it.
"""

from __future__ import annotations

import os
import signal

ENV = "OMNIROUTE_CRASH_AT"
POINTS = (
    "ingest.after_first_file",  # some inbox files recorded, others not
    "publish.before_commit",  # every row of the wave written, the transaction still open
    "report.before_store",  # the wave committed, its report not stored
    "outbox.after_first_file",  # the wave's partial folder half written
    "outbox.before_rename",  # the partial folder complete, not yet in place
    "outbox.before_latest",  # the folder in place, LATEST still naming the previous wave
)


def crash_point(name: str) -> None:
    """Kill this process here if the test asked for it (see the module docstring)."""
    if os.environ.get(ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
