"""Named points where the fault tests stop a wave: ``kill -9``, or a disk that is full.

Each stage of a wave that writes something calls ``crash_point(name)``. In production nothing
happens; a test sets ``OMNIROUTE_CRASH_AT=<name>`` and the process kills itself there with
SIGKILL (no cleanup, no ``finally``), as a power cut or the OOM killer would, or sets
``OMNIROUTE_DISK_FULL_AT=<name>`` and the write there fails with ``ENOSPC`` as on a full disk.
The next run must then find either the whole wave or none of it.
"""

from __future__ import annotations

import errno
import os
import signal

ENV = "OMNIROUTE_CRASH_AT"
DISK_FULL_ENV = "OMNIROUTE_DISK_FULL_AT"
POINTS = (
    "ingest.after_first_file",  # some inbox files recorded, others not
    "stage.before_commit",  # a kind's staging, quarantine and ledger counts not yet committed
    "solve.started",  # the wave's open units being planned, nothing of it written
    "publish.before_commit",  # every row of the wave written, the transaction still open
    "report.before_store",  # the wave committed, its report not stored
    "outbox.after_first_file",  # the wave's partial folder half written
    "outbox.before_rename",  # the partial folder complete, not yet in place
    "outbox.before_latest",  # the folder in place, LATEST still naming the previous wave
    "report.before_page",  # the report stored in the warehouse, its page not yet written
)


def crash_point(name: str) -> None:
    """Kill this process here if the test asked for it (see the module docstring)."""
    if os.environ.get(ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
    if os.environ.get(DISK_FULL_ENV) == name:
        raise OSError(errno.ENOSPC, f"{os.strerror(errno.ENOSPC)} (simulated at {name})")
