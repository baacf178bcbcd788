"""Waves with memory, through the real CLI, Dagster and DuckDB files.

One deployment (inbox, warehouse, outbox, Dagster home in tmp) lives through a sequence of
waves: a first wave, a rerun with no new files, the next wave's partner files (new orders,
shipments, a rejection, a cancellation, an amendment), feedback that contradicts the book, a
re-dropped file and a dry run. After every wave the independent checks of ``wave_checks``
must hold: the line identity, no line instructed twice, no node x sku over-promised.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from pipelines.cli import main
from tests.pipelines import wave_checks as check

SAMPLE = {"orders": 150, "seed": 11, "stores": 8, "dcs": 2, "skus": 40}


class Deployment:
    """Paths of one deployment and a way to run a wave on it through the CLI."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root, self.inbox = root, root / "inbox"
        self.warehouse, self.outbox = root / "w" / "omniroute.duckdb", root / "outbox"
        for name, value in {
            "OMNIROUTE_INBOX": self.inbox,
            "OMNIROUTE_WAREHOUSE": self.warehouse,
            "OMNIROUTE_OUTBOX": self.outbox,
            "DAGSTER_HOME": root / "dagster_home",
        }.items():
            monkeypatch.setenv(name, str(value))

    def wave(self, capsys, *args: str) -> dict:
        capsys.readouterr()
        code = main(["run", "--json", "--log-level", "WARNING", *args])
        summary = json.loads(capsys.readouterr().out)
        assert code == 0, summary
        return summary

    def next_wave_files(self, orders: int) -> None:
        """Write the partners' files of the next wave (replies to the newest outbox folder)."""
        places = ["--inbox", str(self.inbox), "--outbox", str(self.outbox)]
        command = ["sample", "--next-wave", *places, "--out", str(self.inbox), f"--orders={orders}"]
        assert main(command) == 0

    def sql(self, sql: str, params: list | None = None) -> pl.DataFrame:
        return check.query(self.warehouse, sql, params)

    def assert_sound(self) -> None:
        assert check.identity_breaks(self.warehouse).is_empty()
        assert check.over_instructed(self.warehouse, self.outbox).is_empty()
        assert check.over_promised(self.warehouse).is_empty()


def _write(path: Path, frame: pl.DataFrame) -> None:
    frame.write_csv(path)


def test_a_sequence_of_waves_keeps_the_book(tmp_path, monkeypatch, capsys):
    d = Deployment(tmp_path, monkeypatch)
    assert main(["sample", "--out", str(d.inbox), *_sample_args()]) == 0
    first = d.wave(capsys)
    assert first["kind"] == "wave" and first["units_instructed"] > 0
    for key in ("units_open_before", "units_instructed", "units_cancelled", "units_open_after"):
        assert isinstance(first[key], int), key
    assert set(first["feedback"]) == {"shipped", "rejected", "cancelled"}
    assert first["units_open_before"] == first["units_instructed"] + first["units_open_after"]
    d.assert_sound()
    folder = Path(first["outbox"])
    assert (folder / "_SUCCESS").is_file()
    assert (d.outbox / "LATEST").read_text().strip() == first["run_id"]
    assert {p.name for p in (folder / "intake").iterdir()} >= {"summary.csv", "nodes.csv.csv"}
    assert all(oct(p.stat().st_mode)[-3:] == "644" for p in folder.rglob("*") if p.is_file())

    # Nothing new: nothing is instructed again, no instruction file is written.
    rerun = d.wave(capsys)
    assert rerun["units_instructed"] == 0 and rerun["units_cancelled"] == 0
    assert rerun["units_open_before"] == first["units_open_after"]
    assert not (Path(rerun["outbox"]) / "instructions").exists()
    d.assert_sound()

    # The next wave's partner files.
    d.next_wave_files(60)
    shipments = pl.read_csv(d.inbox / "shipments_wave2.csv", schema_overrides=check.TEXT)
    rejection = pl.read_csv(d.inbox / "rejections_wave2.csv", schema_overrides=check.TEXT).row(
        0, named=True
    )
    cancelled_order = pl.read_csv(d.inbox / "cancellations_wave2.csv")["order_id"][0]
    amended = pl.read_csv(d.inbox / "orders_amendments_wave2.csv").row(0, named=True)
    before = d.sql("SELECT * FROM plan.line_status")
    second = d.wave(capsys)
    d.assert_sound()
    assert second["feedback"]["shipped"] == int(shipments["quantity"].sum())
    assert second["feedback"]["rejected"] == rejection["quantity"]
    assert second["feedback"]["cancelled"] > 0
    wave2 = Path(second["outbox"])
    rows = pl.concat(
        [
            pl.read_csv(f, schema_overrides=check.TEXT)
            for f in (wave2 / "instructions").glob("*.csv")
        ]
    )
    # the rejecting node never fills that line again (a pickup store that short-picked may
    # still receive the line's ship-to-store parcel from another node)
    again = rows.filter(
        (pl.col("order_id") == rejection["order_id"])
        & (pl.col("line_no") == rejection["line_no"])
        & (pl.col("node_id") == rejection["node_id"])
        & ~pl.col("fulfillment_method").is_in(["cancel", "receive_for_pickup"])
    )
    assert again.is_empty()
    status = d.sql("SELECT * FROM plan.line_status")
    rejected_line = status.filter(
        (pl.col("order_id") == rejection["order_id"]) & (pl.col("line_no") == rejection["line_no"])
    ).row(0, named=True)
    re_sourced = rows.filter(
        (pl.col("order_id") == rejection["order_id"])
        & (pl.col("line_no") == rejection["line_no"])
        & (pl.col("fulfillment_method") != "receive_for_pickup")
    )
    assert rejected_line["open"] + rejected_line["instructed_open"] == rejection["quantity"]
    assert re_sourced["quantity"].sum() == rejected_line["instructed_open"]
    # the cancelled order: every line cancelled, its instructed units stopped at their nodes
    order = status.filter(pl.col("order_id") == cancelled_order)
    assert set(order["state"]) <= {"cancelled", "shipped"}
    was = before.filter(pl.col("order_id") == cancelled_order)
    stops = rows.filter(
        (pl.col("order_id") == cancelled_order) & (pl.col("fulfillment_method") == "cancel")
    )
    stopped = d.sql(
        "SELECT node_id, sum(quantity) AS units FROM plan.line_events WHERE run_id = ? AND "
        "order_id = ? AND event = 'cancel_instructed' GROUP BY 1",
        [second["run_id"], cancelled_order],
    )
    assert int(stopped["units"].sum()) == int(was["instructed_open"].sum())
    at_sources = stops.filter(pl.col("node_id").is_in(stopped["node_id"].implode()))
    assert at_sources["quantity"].sum() == stopped["units"].sum()
    # the amendment lowered a quantity by one: that unit is stopped at its node
    line = status.filter(
        (pl.col("order_id") == amended["order_id"]) & (pl.col("line_no") == amended["line_no"])
    ).row(0, named=True)
    assert line["ordered"] == amended["quantity"]
    stop = rows.filter(
        (pl.col("order_id") == amended["order_id"])
        & (pl.col("line_no") == amended["line_no"])
        & (pl.col("fulfillment_method") == "cancel")
    )
    assert stop["quantity"].sum() >= 1
    events = d.sql(
        "SELECT event, sum(quantity) AS units FROM plan.line_events WHERE run_id = ? GROUP BY 1",
        [second["run_id"]],
    )
    assert set(events["event"]) >= {"shipped", "rejected", "cancel_instructed", "amended"}


def _sample_args() -> list[str]:
    return [f"--{k}={v}" for k, v in SAMPLE.items()]


def test_feedback_that_contradicts_the_book_is_refused_and_acknowledged(
    tmp_path, monkeypatch, capsys
):
    d = Deployment(tmp_path, monkeypatch)
    assert main(["sample", "--out", str(d.inbox), *_sample_args()]) == 0
    first = d.wave(capsys)
    commitment = d.sql("SELECT * FROM plan.commitments ORDER BY ALL LIMIT 1").row(0, named=True)
    bad = pl.DataFrame(
        {
            "shipment_id": ["S-TOO-MANY", "S-UNKNOWN"],
            "order_id": [commitment["order_id"], "ORD-NOPE"],
            "line_no": [commitment["line_no"], 1],
            "node_id": [commitment["node_id"], commitment["node_id"]],
            "quantity": [commitment["quantity"] + 5, 1],
            "shipped_at": ["2025-03-03T09:00:00Z"] * 2,
        }
    )
    _write(d.inbox / "shipments_bad.csv", bad)
    second = d.wave(capsys)
    assert second["feedback"]["shipped"] == 0
    acks = pl.read_csv(Path(second["outbox"]) / "intake" / "shipments_bad.csv.csv")
    assert set(acks["rule"].drop_nulls()) >= {"not_instructed", "unknown_line"}
    summary = pl.read_csv(Path(second["outbox"]) / "intake" / "summary.csv").row(0, named=True)
    assert (summary["rows_read"], summary["rows_accepted"], summary["rows_rejected"]) == (2, 0, 2)
    quarantined = d.sql(
        "SELECT row_number, unnest(reasons).rule AS rule FROM quarantine.rejected_rows "
        "WHERE source_file = 'shipments_bad.csv' ORDER BY 1"
    )
    assert quarantined["rule"].to_list() == ["not_instructed", "unknown_line"]
    ledger = d.sql(
        "SELECT rows_read, rows_accepted, rows_rejected, rows_duplicate FROM raw.file_ledger "
        "WHERE file_name = 'shipments_bad.csv'"
    ).row(0)
    assert ledger == (2, 0, 2, 0)
    state = d.sql(
        "SELECT shipped FROM plan.line_status WHERE order_id = ? AND line_no = ?",
        [commitment["order_id"], commitment["line_no"]],
    )
    assert state["shipped"][0] == 0
    # The same file dropped again, under another name: the same bytes change nothing.
    shutil.copy(d.inbox / "shipments_bad.csv", d.inbox / "shipments_bad_again.csv")
    third = d.wave(capsys)
    assert third["files"] == [] and third["feedback"]["shipped"] == 0
    assert first["run_id"] != third["run_id"]
    d.assert_sound()


def test_a_cancellation_frees_stock_for_the_next_wave(tmp_path, monkeypatch, capsys):
    d = Deployment(tmp_path, monkeypatch)
    assert main(["sample", "--out", str(d.inbox), *_sample_args()]) == 0
    first = d.wave(capsys)
    held = d.sql(
        "SELECT order_id, line_no, node_id, sku, open FROM plan.commitments "
        "WHERE fulfillment_method = 'ship_from_dc' ORDER BY open DESC, order_id LIMIT 1"
    ).row(0, named=True)
    atp_before = d.sql(
        "SELECT available_to_promise FROM plan.inventory WHERE run_id = ? AND node_id = ? "
        "AND sku = ?",
        [first["run_id"], held["node_id"], held["sku"]],
    ).item()
    _write(
        d.inbox / "cancellations_one.csv",
        pl.DataFrame(
            {
                "order_id": [held["order_id"]],
                "line_no": [held["line_no"]],
                "quantity": [None],
                "cancelled_at": ["2025-03-03T09:00:00Z"],
            }
        ),
    )
    second = d.wave(capsys)
    assert second["units_cancelled"] == held["open"]
    cancels = pl.read_csv(
        next((Path(second["outbox"]) / "instructions").glob(f"{held['node_id']}.csv")),
        schema_overrides=check.TEXT,
    ).filter(pl.col("fulfillment_method") == "cancel")
    assert cancels.filter(pl.col("order_id") == held["order_id"])["quantity"].sum() == held["open"]
    atp_after = d.sql(
        "SELECT available_to_promise, committed FROM plan.inventory WHERE run_id = ? "
        "AND node_id = ? AND sku = ?",
        [second["run_id"], held["node_id"], held["sku"]],
    ).row(0, named=True)

    # What the first wave promised there is netted out, the cancelled units are free again
    # (the second wave may promise them to another line).
    def instructed_by(run_id: str) -> int:
        return d.sql(
            "SELECT coalesce(sum(quantity), 0) AS q FROM plan.commitments WHERE run_id = ? "
            "AND node_id = ? AND sku = ?",
            [run_id, held["node_id"], held["sku"]],
        ).item()

    expected = atp_before - instructed_by(first["run_id"]) + held["open"]
    assert atp_after["available_to_promise"] == expected
    assert instructed_by(second["run_id"]) <= atp_after["available_to_promise"]
    d.assert_sound()


def test_an_amendment_that_changes_the_line_re_sources_it(tmp_path, monkeypatch, capsys):
    d = Deployment(tmp_path, monkeypatch)
    assert main(["sample", "--out", str(d.inbox), *_sample_args()]) == 0
    d.wave(capsys)
    held = d.sql(
        "SELECT c.order_id, c.line_no, c.node_id, c.open FROM plan.commitments c "
        "JOIN staging.orders o USING (order_id, line_no) WHERE o.fulfillment_method = 'ship' "
        "AND o.service_level = 'standard' ORDER BY c.order_id LIMIT 1"
    ).row(0, named=True)
    order = d.sql(
        "SELECT * EXCLUDE (source_file, file_sha256, row_number) FROM staging.orders "
        "WHERE order_id = ?",
        [held["order_id"]],
    )
    express = order.with_columns(service_level=pl.lit("express"))  # the whole order: agreed
    express.with_columns(pl.col("ordered_at").dt.strftime("%Y-%m-%dT%H:%M:%SZ")).write_csv(
        d.inbox / "orders_express_upgrade.csv"
    )
    second = d.wave(capsys)
    line = d.sql(
        "SELECT * FROM plan.line_status WHERE order_id = ? AND line_no = ?",
        [held["order_id"], held["line_no"]],
    ).row(0, named=True)
    events = d.sql(
        "SELECT event, node_id, quantity FROM plan.line_events WHERE run_id = ? AND "
        "order_id = ? AND line_no = ?",
        [second["run_id"], held["order_id"], held["line_no"]],
    )
    assert {"amended", "cancel_instructed"} <= set(events["event"])
    stopped = events.filter(pl.col("event") == "cancel_instructed")["quantity"].sum()
    assert stopped == held["open"]
    assert line["open"] + line["instructed_open"] == line["ordered"] - line["shipped"]
    d.assert_sound()


def test_a_dry_run_changes_no_line_state(tmp_path, monkeypatch, capsys):
    d = Deployment(tmp_path, monkeypatch)
    assert main(["sample", "--out", str(d.inbox), *_sample_args()]) == 0
    d.wave(capsys)
    d.next_wave_files(40)
    tables = ("plan.line_status", "plan.commitments", "plan.line_events", "plan.feedback")
    before = {t: d.sql(f"SELECT * FROM {t} ORDER BY ALL") for t in tables}
    latest = (d.outbox / "LATEST").read_text()
    dry = d.wave(capsys, "--dry-run")
    assert dry["kind"] == "scenario" and dry["outbox"] is None
    assert dry["units_instructed"] > 0  # it planned the new orders ...
    for table, frame in before.items():  # ... and changed nothing
        assert d.sql(f"SELECT * FROM {table} ORDER BY ALL").equals(frame), table
    assert (d.outbox / "LATEST").read_text() == latest
    assert not (d.outbox / dry["run_id"]).exists()
    kinds = d.sql("SELECT kind, count(*) AS n FROM plan.runs GROUP BY 1 ORDER BY 1")
    assert kinds["kind"].to_list() == ["scenario", "wave"]
    compared = d.sql("SELECT run_id, kind, units_instructed FROM marts.scenario_comparison")
    assert compared.filter(pl.col("run_id") == dry["run_id"])["kind"].to_list() == ["scenario"]
    assert compared.height == 2
    real = d.wave(capsys)  # the real wave afterwards applies what the dry run only looked at
    assert real["feedback"]["shipped"] > 0
    d.assert_sound()
