"""The inbox is a boundary: what a partner's drop may be, checked before a byte is read.

Only regular files directly in the inbox are taken: symbolic links (which could point at any
file of the machine), directories, devices, pipes and sockets are refused with a reason, as
are files above the size limit and names that are not UTF-8. A file is taken once it has been
quiet (size and modification time unchanged) for ``quiet_seconds``; partners may also write
``name.part`` and rename it when complete: ``.part`` and hidden (``.``) names are never read.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from contracts.kinds import processing_order
from contracts.reading import file_sha256

MAX_FILE_MB_ENV, QUIET_SECONDS_ENV = "OMNIROUTE_MAX_FILE_MB", "OMNIROUTE_QUIET_SECONDS"
# Taking a CSV in (read, raw table, validation) peaks at 20-30 bytes of memory per byte of file
# (benchmarks/ingest_memory.py): a 256 MB file stays under a third of this machine's 24 GiB.
DEFAULT_MAX_FILE_MB = 256
DEFAULT_QUIET_SECONDS = 2.0
IN_PROGRESS_SUFFIXES = (".part", ".tmp", ".partial")


@dataclass(frozen=True)
class InboxRules:
    """Limits of the inbox boundary (env: ``OMNIROUTE_MAX_FILE_MB``, ``OMNIROUTE_QUIET_SECONDS``).

    settle_wait_s: how long a run waits for files still being written before it leaves them
    for the next run.
    """

    max_file_mb: float = DEFAULT_MAX_FILE_MB
    quiet_seconds: float = DEFAULT_QUIET_SECONDS
    settle_wait_s: float = 30.0

    @classmethod
    def from_env(cls, **overrides: float | None) -> InboxRules:
        """The defaults, the environment's values over them, explicit overrides over those."""
        values: dict[str, float] = {}
        for field, env in (("max_file_mb", MAX_FILE_MB_ENV), ("quiet_seconds", QUIET_SECONDS_ENV)):
            if os.environ.get(env):
                values[field] = float(os.environ[env])
        values.update({k: float(v) for k, v in overrides.items() if v is not None})
        return cls(**values)

    def is_quiet(self, mtime_ns: int) -> bool:
        """Whether a file last changed at ``mtime_ns`` has been quiet long enough to be taken."""
        return time.time() - mtime_ns / 1e9 >= self.quiet_seconds


@dataclass(frozen=True)
class InboxEntry:
    """One name in the inbox and what the boundary says of it (refusal None = take it)."""

    path: Path
    display_name: str  # the name as text, non-UTF-8 bytes shown as \\xNN
    size: int
    mtime_ns: int
    refusal: str | None = None

    def identity(self) -> str:
        """The ledger's and the sensor's key: the content hash, or for a refused entry (never
        read) a hash of its name, size, time and reason."""
        if self.refusal is None:
            return file_sha256(self.path)
        marker = f"refused\0{self.display_name}\0{self.size}\0{self.mtime_ns}\0{self.refusal}"
        return hashlib.sha256(marker.encode()).hexdigest()


def display_name(name: str) -> str:
    """A file name as storable text: bytes that are not UTF-8 become ``\\xNN``."""
    return os.fsencode(name).decode("utf-8", "backslashreplace")


def inbox_entries(inbox: Path, rules: InboxRules) -> list[InboxEntry]:
    """Every entry of the inbox but hidden and in-progress names, in contract order."""
    if not inbox.is_dir():
        raise FileNotFoundError(f"inbox folder {inbox} does not exist")
    names = [
        name
        for name in os.listdir(inbox)
        if not name.startswith(".") and not name.lower().endswith(IN_PROGRESS_SUFFIXES)
    ]
    return [_entry(inbox / name, rules) for name in processing_order(names)]


def _entry(path: Path, rules: InboxRules) -> InboxEntry:
    info = os.lstat(path)
    refusal = _refusal(path, info, rules)
    return InboxEntry(path, display_name(path.name), info.st_size, info.st_mtime_ns, refusal)


def _refusal(path: Path, info: os.stat_result, rules: InboxRules) -> str | None:
    if display_name(path.name) != path.name:
        return "file name is not UTF-8: rename the file (its bytes were not read)"
    if stat.S_ISLNK(info.st_mode):
        return "symbolic link: the inbox takes regular files only, nothing outside it is read"
    if stat.S_ISDIR(info.st_mode):
        return "directory: the inbox takes files directly in it, not folders"
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file (device, pipe or socket)"
    limit = rules.max_file_mb * 2**20
    if info.st_size > limit:
        return (
            f"file is {info.st_size / 2**20:,.1f} MB, above the inbox limit of "
            f"{rules.max_file_mb:,.0f} MB ({MAX_FILE_MB_ENV}): split it into smaller files"
        )
    return None


def wait_until_quiet(entries: list[InboxEntry], rules: InboxRules) -> None:
    """Sleep until every taken file is ``quiet_seconds`` old, at most ``settle_wait_s``."""
    youngest = max((e.mtime_ns for e in entries if e.refusal is None), default=0)
    deadline = time.monotonic() + rules.settle_wait_s
    while not rules.is_quiet(youngest) and (left := deadline - time.monotonic()) > 0:
        time.sleep(max(0.0, min(rules.quiet_seconds - (time.time() - youngest / 1e9), left, 0.5)))


def still_written(entry: InboxEntry, rules: InboxRules) -> str | None:
    """Why the file must wait for a later run (changed since listed, or too young), or None."""
    try:
        info = os.lstat(entry.path)
    except FileNotFoundError:
        return "removed from the inbox while the run read it"
    if (info.st_size, info.st_mtime_ns) != (entry.size, entry.mtime_ns):
        return "still being written (its size or time changed while the run read it)"
    if not rules.is_quiet(info.st_mtime_ns):
        return f"still being written (changed less than {rules.quiet_seconds:g} s ago)"
    return None
