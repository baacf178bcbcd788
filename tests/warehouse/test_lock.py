"""One writer at a time: a second process, or an analyst's open connection, makes a writer
wait for the warehouse instead of failing; a wait that runs out says who holds the file."""

from __future__ import annotations

import logging
import multiprocessing
import time
from pathlib import Path

import duckdb
import pytest

from tests.read_only_holder import read_only_holder
from warehouse.connection import LOCK_WAIT_ENV, WarehouseBusyError, open_warehouse


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


def _new_warehouse(database: Path) -> None:
    with open_warehouse(database) as con:
        con.execute("CREATE TABLE events (who VARCHAR, ts DOUBLE)")


def test_a_writer_waits_for_an_analysts_read_only_connection(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    database = tmp_path / "w.duckdb"
    _new_warehouse(database)
    with (
        caplog.at_level(logging.WARNING, logger="warehouse.connection"),
        read_only_holder(database, 3) as holder,
    ):
        with open_warehouse(database, lock_wait_s=120) as con:  # the holder closes after 3 s
            con.execute("INSERT INTO events VALUES ('after the analyst', 0)")
        assert holder.wait(60) == 0  # it ran to its end: nothing cut the analyst off
    waits = [r.getMessage() for r in caplog.records if "waiting up to" in r.getMessage()]
    assert len(waits) == 1, caplog.text  # said once, not at every retry
    assert str(database) in waits[0] and f"PID {holder.pid}" in waits[0]
    assert "read-only connection" in waits[0] and "120 s" in waits[0]
    with open_warehouse(database) as con:
        assert con.execute("SELECT who FROM events").fetchall() == [("after the analyst",)]


def test_a_connection_held_beyond_the_wait_gives_a_clear_error(tmp_path: Path) -> None:
    database = tmp_path / "w.duckdb"
    _new_warehouse(database)
    with read_only_holder(database, 120) as holder:
        with pytest.raises(WarehouseBusyError) as caught, open_warehouse(database, lock_wait_s=1.5):
            pytest.fail("connected although the file was held")
        assert holder.poll() is None  # the holder was still there: the wait really ran out
    message = str(caught.value)
    assert str(database) in message and f"PID {holder.pid}" in message
    assert "1.5 s" in message and "close that connection" in message
    assert "duckdb -readonly" in message
    assert isinstance(caught.value.__cause__, duckdb.IOException)


def test_the_wait_comes_from_the_environment(tmp_path: Path, monkeypatch) -> None:
    database = tmp_path / "w.duckdb"
    _new_warehouse(database)
    monkeypatch.setenv(LOCK_WAIT_ENV, "0")
    with (
        read_only_holder(database, 120),
        pytest.raises(WarehouseBusyError, match=r"for 0 s"),
        open_warehouse(database),
    ):
        pass
    monkeypatch.setenv(LOCK_WAIT_ENV, "five minutes")
    with pytest.raises(ValueError, match=LOCK_WAIT_ENV), open_warehouse(database):
        pass


def test_other_io_errors_are_not_retried(tmp_path: Path) -> None:
    not_a_database = tmp_path / "w.duckdb"
    not_a_database.write_bytes(b"this is not a DuckDB file" * 100)
    with (
        pytest.raises(duckdb.IOException) as caught,
        open_warehouse(not_a_database, lock_wait_s=120),
    ):
        pass
    assert not isinstance(caught.value, WarehouseBusyError)
