"""An analyst in another process: a read-only DuckDB connection held on the warehouse file.

It takes DuckDB's own lock on the file (not omniroute's lock file), which is what a wave
meets when someone left ``duckdb -readonly`` or a notebook open.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HOLDER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
con.execute("SELECT count(*) FROM information_schema.tables").fetchall()
print("ready", flush=True)
time.sleep(float(sys.argv[2]))
"""


@contextmanager
def read_only_holder(database: Path, seconds: float) -> Iterator[subprocess.Popen[str]]:
    """A child process holding ``database`` read-only for ``seconds`` (from when it printed
    "ready"); killed on exit if it is still there."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(database), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        yield holder
    finally:
        holder.kill()
        holder.wait()
