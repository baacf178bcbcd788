"""The inbox as a boundary, in a real DuckDB file: one bad entry never blocks the others.

Each test drops one kind of trouble beside good files (links to files outside the inbox,
folders, pipes, oversized files, names that are not UTF-8 or 255 bytes long, a file whose
handling raises, files still being written) and checks that the trouble is that entry's
ledger and quarantine entry with its reason, while the good files are taken in whole.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import duckdb
import pytest

from contracts.inbox import InboxRules
from tests.contracts.partner_rows import row, write_csv
from warehouse import ingest
from warehouse.ingest import ingest_inbox, ledger_discrepancies, stage_kind

RULES = InboxRules(quiet_seconds=0)


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    write_csv(folder / "nodes.csv", [row("nodes")])
    write_csv(folder / "products.csv", [row("products")])
    return folder


def _scan(tmp_path: Path, inbox: Path, rules: InboxRules = RULES) -> tuple[ingest.InboxScan, dict]:
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        scan = ingest_inbox(con, inbox, tmp_path / "quarantine_files", "run-1", rules)
        ledger = {
            name: (status, message)
            for name, status, message in con.sql(
                "SELECT file_name, status, message FROM raw.file_ledger"
            ).fetchall()
        }
    return scan, ledger


def test_links_folders_and_pipes_are_refused_and_nothing_outside_is_read(tmp_path, inbox):
    outside = tmp_path / "secret"
    outside.mkdir()
    write_csv(outside / "orders_outside.csv", [row("orders")])
    (outside / "passwd").write_text("root:x:0:0\n", encoding="utf-8")
    (inbox / "orders_linked.csv").symlink_to(outside / "orders_outside.csv")
    (inbox / "stock_linked.csv").symlink_to(outside / "passwd")
    (inbox / "orders_folder.csv").mkdir()
    os.mkfifo(inbox / "orders_pipe.csv")
    scan, ledger = _scan(tmp_path, inbox)
    for name in ("orders_linked.csv", "stock_linked.csv", "orders_folder.csv", "orders_pipe.csv"):
        assert ledger[name][0] == "refused", name
    assert "symbolic link" in ledger["orders_linked.csv"][1]
    assert "directory" in ledger["orders_folder.csv"][1]
    assert "not a regular file" in ledger["orders_pipe.csv"][1]
    assert ledger["nodes.csv"][0] == ledger["products.csv"][0] == "pending"
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        assert con.execute("SELECT count(*) FROM raw.orders").fetchall() == [(0,)]
        assert con.execute("SELECT count(*) FROM raw.stock").fetchall() == [(0,)]
        refused = con.execute("SELECT count(*) FROM quarantine.unreadable_files").fetchall()
    assert refused == [(4,)]
    again, _ = _scan(tmp_path, inbox)  # a refusal is recorded once, not on every run
    assert again.recorded == [] and len(again.skipped) == 6


def test_a_file_above_the_size_limit_is_refused_unread(tmp_path, inbox):
    write_csv(inbox / "orders_big.csv", [row("orders", order_id=f"ORD-{i}") for i in range(400)])
    scan, ledger = _scan(tmp_path, inbox, InboxRules(max_file_mb=0.01, quiet_seconds=0))
    status, message = ledger["orders_big.csv"]
    assert status == "refused" and "above the inbox limit of 0 MB" in message
    assert ledger["nodes.csv"][0] == "pending"


def test_odd_names_and_a_failing_file_do_not_block_the_inbox(tmp_path, inbox, monkeypatch):
    bad_name = os.fsdecode(b"orders_\xff.csv")
    write_csv(inbox / bad_name, [row("orders")])
    long_name = "orders_" + "x" * 244 + ".csv"  # 255 bytes: a copy with a prefix cannot exist
    (inbox / long_name).write_bytes(b"order_id\n\xff\n")  # not UTF-8: kept whole in quarantine
    write_csv(inbox / "orders_boom.csv", [row("orders")])
    write_csv(inbox / "orders_good.csv", [row("orders", order_id="ORD-9")])
    real_read = ingest.read_partner_file

    def read(path, sha=None):
        if path.name == "orders_boom.csv":
            raise RuntimeError("simulated failure while reading")
        return real_read(path, sha)

    monkeypatch.setattr(ingest, "read_partner_file", read)
    scan, ledger = _scan(tmp_path, inbox)
    assert ledger["orders_\\xff.csv"] == (
        "refused",
        "file name is not UTF-8: rename the file (its bytes were not read)",
    )
    assert ledger[long_name][0] == "unreadable" and "not UTF-8" in ledger[long_name][1]
    assert ledger["orders_boom.csv"][0] == "unreadable"
    assert "RuntimeError: simulated failure while reading" in ledger["orders_boom.csv"][1]
    assert ledger["orders_good.csv"][0] == "pending"
    kept = list((tmp_path / "quarantine_files").iterdir())
    assert len(kept) == 2 and all(len(p.name) <= 100 for p in kept)  # whole copies, short names
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        for kind in ("nodes", "products", "orders"):
            stage_kind(con, kind, "run-1")
        assert ledger_discrepancies(con, "orders").is_empty()
        assert con.execute("SELECT order_id FROM staging.orders").fetchall() == [("ORD-9",)]


def test_part_files_wait_for_their_rename_and_young_files_for_the_quiet_period(tmp_path, inbox):
    past = time.time() - 60
    for settled in ("nodes.csv", "products.csv"):
        os.utime(inbox / settled, (past, past))
    write_csv(inbox / "orders_a.csv.part", [row("orders")])
    write_csv(inbox / "orders_b.csv", [row("orders", order_id="ORD-2")])
    scan, ledger = _scan(tmp_path, inbox, InboxRules(quiet_seconds=60, settle_wait_s=0.2))
    assert "orders_a.csv.part" not in ledger and "orders_b.csv" not in ledger
    assert scan.deferred == [("orders_b.csv", "still being written (changed less than 60 s ago)")]
    (inbox / "orders_a.csv.part").rename(inbox / "orders_a.csv")
    scan, ledger = _scan(tmp_path, inbox, InboxRules(quiet_seconds=0.5, settle_wait_s=10))
    assert ledger["orders_a.csv"][0] == ledger["orders_b.csv"][0] == "pending"  # waited 0.5 s


def test_a_file_growing_while_it_is_read_is_left_for_the_next_run(tmp_path, inbox, monkeypatch):
    path = inbox / "orders_growing.csv"
    write_csv(path, [row("orders", order_id="ORD-1")])
    real_read = ingest.read_partner_file

    def read_while_written(file, sha=None):
        raw = real_read(file, sha)
        if file == path:
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(",".join(row("orders", order_id="ORD-2").values()) + "\n")
        return raw

    monkeypatch.setattr(ingest, "read_partner_file", read_while_written)
    scan, ledger = _scan(tmp_path, inbox)
    assert "orders_growing.csv" not in ledger
    assert scan.deferred[0][0] == "orders_growing.csv" and "size or time" in scan.deferred[0][1]
    monkeypatch.setattr(ingest, "read_partner_file", real_read)
    past = time.time() - 60
    os.utime(path, (past, past))
    _, ledger = _scan(tmp_path, inbox)
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        rows = con.execute("SELECT rows_read FROM raw.file_ledger WHERE file_name = ?", [path.name])
        assert rows.fetchall() == [(2,)]  # taken once complete, both rows


def test_the_ledger_sees_a_line_no_row_accounts_for(tmp_path, inbox):
    header = list(row("orders"))
    lines = [",".join(header)]
    lines += [",".join(row("orders", order_id=f"ORD-{i}").values()) for i in range(5)]
    lines[2] = lines[2].replace("ORD-1", '"ORD-1')  # a stray quote in data row 2
    (inbox / "orders_stray.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    _scan(tmp_path, inbox)
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        for kind in ("nodes", "products", "orders"):
            stage_kind(con, kind, "run-1")
        figures = con.execute(
            "SELECT lines_read, lines_outside_records, rows_read, rows_rejected "
            "FROM raw.file_ledger WHERE file_name = 'orders_stray.csv'"
        ).fetchall()
        assert figures == [(6, 1, 5, 1)]
        assert ledger_discrepancies(con, "orders").is_empty()
        con.execute("DELETE FROM raw.orders WHERE row_number = 4")  # a row silently lost
        con.execute(
            "UPDATE raw.file_ledger SET rows_read = 4, rows_accepted = 3 "
            "WHERE file_name = 'orders_stray.csv'"
        )  # the row counts balance again: only the line count can tell
        broken = ledger_discrepancies(con, "orders")
    assert broken["file_name"].to_list() == ["orders_stray.csv"]
    assert broken.select("lines_read", "lines_accounted").row(0) == (6, 5)


def test_a_failing_warehouse_is_the_runs_error_and_the_file_waits_for_the_next_run(
    tmp_path, inbox, monkeypatch
):
    write_csv(inbox / "orders_web.csv", [row("orders")])
    real_insert = ingest.insert_frame

    def disk_full(con, table, frame):
        if table == "raw.orders":
            raise duckdb.IOException("Could not write file: No space left on device")
        real_insert(con, table, frame)

    monkeypatch.setattr(ingest, "insert_frame", disk_full)
    with pytest.raises(duckdb.IOException, match="No space left on device"):
        _scan(tmp_path, inbox)
    monkeypatch.setattr(ingest, "insert_frame", real_insert)
    _, ledger = _scan(tmp_path, inbox)  # not marked unreadable: taken whole once there is room
    assert ledger["orders_web.csv"][0] == "pending"
