"""One writer at a time: a second process waits for the warehouse instead of failing."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

from warehouse.connection import open_warehouse


def _hold(database: str, ready, seconds: float) -> None:
    with open_warehouse(Path(database)) as con:
        con.execute("CREATE TABLE IF NOT EXISTS events (who VARCHAR, ts DOUBLE)")
        con.execute("INSERT INTO events VALUES ('first', ?)", [time.time()])
        ready.set()
        time.sleep(seconds)
        con.execute("INSERT INTO events VALUES ('first-done', ?)", [time.time()])


def test_a_second_writer_waits_for_the_first(tmp_path: Path) -> None:
    database = tmp_path / "w.duckdb"
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    holder = context.Process(target=_hold, args=(str(database), ready, 1.5))
    holder.start()
    try:
        assert ready.wait(60)
        with open_warehouse(database) as con:  # blocks until the holder closes its connection
            con.execute("INSERT INTO events VALUES ('second', ?)", [time.time()])
            order = [r[0] for r in con.execute("SELECT who FROM events ORDER BY ts").fetchall()]
    finally:
        holder.join(60)
    assert holder.exitcode == 0
    assert order == ["first", "first-done", "second"]
