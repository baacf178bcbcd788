"""``transaction``: a failed write reports its own error, not the rollback's."""

from __future__ import annotations

import errno
from pathlib import Path

import duckdb
import pytest

from warehouse.connection import open_warehouse, transaction


def _rows(con: duckdb.DuckDBPyConnection) -> list[tuple[int]]:
    return con.execute("SELECT n FROM t ORDER BY n").fetchall()


def test_the_body_commits_or_rolls_back_whole(tmp_path: Path) -> None:
    with open_warehouse(tmp_path / "w.duckdb") as con:
        con.execute("CREATE TABLE t (n INTEGER)")
        with transaction(con):
            con.execute("INSERT INTO t VALUES (1)")
        with pytest.raises(ValueError, match="halfway"), transaction(con):
            con.execute("INSERT INTO t VALUES (2)")
            raise ValueError("halfway")
        assert _rows(con) == [(1,)]
    with open_warehouse(tmp_path / "w.duckdb") as con:  # committed means on disk
        assert _rows(con) == [(1,)]


def test_a_full_disk_is_reported_even_when_the_rollback_fails(tmp_path: Path) -> None:
    with open_warehouse(tmp_path / "w.duckdb") as con:
        con.execute("CREATE TABLE t (n INTEGER)")
        with pytest.raises(OSError) as caught, transaction(con):
            con.execute("INSERT INTO t VALUES (1)")
            con.execute("ROLLBACK")  # what DuckDB does to a transaction a failed write broke
            raise OSError(errno.ENOSPC, "No space left on device")
        assert caught.value.errno == errno.ENOSPC
        assert "No space left on device" in str(caught.value)
        notes = getattr(caught.value, "__notes__", [])
        assert len(notes) == 1 and "no transaction is active" in notes[0]
        assert _rows(con) == []
        with transaction(con):  # the connection is usable again
            con.execute("INSERT INTO t VALUES (2)")
        assert _rows(con) == [(2,)]


def test_a_failed_commit_is_the_error_raised(tmp_path: Path) -> None:
    """A COMMIT DuckDB refuses ends the transaction, as a full disk does: the same path."""
    with open_warehouse(tmp_path / "w.duckdb") as con:
        con.execute("CREATE TABLE t (n INTEGER PRIMARY KEY)")
        other = con.cursor()  # a second transaction on the same database
        with pytest.raises(duckdb.TransactionException) as caught, transaction(con):
            con.execute("INSERT INTO t VALUES (5)")
            other.execute("INSERT INTO t VALUES (5)")  # commits first: ours fails at COMMIT
        assert "Failed to commit" in str(caught.value) and "duplicate key" in str(caught.value)
        assert "no transaction is active" in caught.value.__notes__[0]
        assert _rows(con) == [(5,)]
