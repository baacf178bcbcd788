"""A day of four waves, and the next-wave pieces it is made of (orders since the last wave,
supply amendments, stock counts of arrived supply)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from contracts.intake import validate_paths
from contracts.tables import KEYS, STAGING_SCHEMAS
from pipelines.cli import main
from pipelines.settings_file import load_settings_file
from samples.day import DayWave, day_waves, write_day
from samples.generator import START, generate_inbox
from samples.inbox import write_inbox
from samples.next_wave import (
    COUNTED_BEFORE,
    arrival_count,
    next_wave_inbox,
    promised_from_supply,
    supply_changes,
)

SIZES = {"orders": 300, "later_orders": 80, "seed": 11, "stores": 12, "dcs": 3, "skus": 120}
T0 = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def day() -> list[DayWave]:
    return day_waves(**SIZES)


def _supply(*rows: tuple[str, str, int, datetime, str]) -> pl.DataFrame:
    columns = ["supply_id", "sku", "quantity", "expected_at", "kind"]
    frame = pl.DataFrame(rows, schema=columns, orient="row").with_columns(node_id=pl.lit("DC-01"))
    return frame.select(list(STAGING_SCHEMAS["supply"])).cast(STAGING_SCHEMAS["supply"])


def _stock(sku: str, on_hand: int, at: datetime) -> pl.DataFrame:
    row = {"node_id": "DC-01", "sku": sku, "on_hand": on_hand, "reserved": 1, "safety_stock": 0}
    return pl.DataFrame([{**row, "snapshot_at": at}]).cast(STAGING_SCHEMAS["stock"])


def test_four_waves_of_one_business_day_each_with_its_wave_at(tmp_path, day):
    assert [w.number for w in day] == [1, 2, 3, 4]
    assert [w.at.hour for w in day] == [8, 11, 14, 17]
    assert {w.at.date() for w in day} == {START.date()}
    write_day(day, tmp_path)
    for wave in day:
        settings = load_settings_file(tmp_path / f"{wave.folder}.json")  # what run --config reads
        assert datetime.fromisoformat(settings["wave_at"]) == wave.at
        assert (tmp_path / wave.folder).is_dir()
    assert {p.name for p in (tmp_path / "wave3").iterdir()} == {
        "orders_wave3.csv",
        "supply_wave3.csv",
        "stock_wave3.csv",
    }


def test_the_day_is_deterministic(day):
    again = day_waves(**SIZES)
    for one, other in zip(day, again, strict=True):
        assert one.frames.keys() == other.frames.keys()
        assert all(one.frames[k].equals(other.frames[k]) for k in one.frames)


def test_later_waves_bring_the_orders_placed_since_the_last_wave(day):
    ids = pl.concat([w.frames[f"orders_wave{w.number}"]["order_id"] for w in day[1:]])
    assert not ids.is_in(day[0].frames["orders"]["order_id"].implode()).any()
    for before, wave in zip(day, day[1:], strict=False):
        orders = wave.frames[f"orders_wave{wave.number}"]
        assert orders["order_id"].n_unique() == SIZES["later_orders"]
        assert orders["ordered_at"].is_between(before.at, wave.at).all()
        assert orders["order_id"].str.starts_with(f"ORD-W{wave.number}-").all()


def test_written_day_validates_with_only_the_deliberate_errors(tmp_path, day):
    write_day(day, tmp_path)
    report = validate_paths(sorted(tmp_path.glob("wave*/*.csv")))
    bad = {f.path.name for f in report.files if f.status != "ok"}
    assert bad == {"orders_marketplace_errors.csv"}
    kinds = {f.kind for f in report.files}
    assert {"supply", "returns", "stock", "orders"} <= kinds


def test_supply_amendments_delay_a_purchase_order_and_withdraw_a_row(day):
    supply = day[0].frames["supply"]
    for wave in day[1:]:
        changed = wave.frames[f"supply_wave{wave.number}"]
        before = supply.unique(subset=list(KEYS["supply"]), keep="last", maintain_order=True)
        compared = changed.join(before, on=list(KEYS["supply"]), suffix="_before")
        assert compared.height == changed.height  # amendments of known rows only
        withdrawn = compared.filter(pl.col("quantity") == 0)
        delayed = compared.filter(pl.col("quantity") > 0)
        assert withdrawn.height == 1 and (withdrawn["quantity_before"] > 0).all()
        assert (withdrawn["expected_at"] > wave.at + timedelta(days=7)).all()  # never promised
        assert delayed.height > 0 and (delayed["kind"] == "purchase_order").all()
        assert delayed.select("supply_id", "node_id").n_unique() == 1  # one whole order
        assert (delayed["expected_at"] >= delayed["expected_at_before"] + timedelta(days=2)).all()
        assert (compared["expected_at_before"] > wave.at).all()  # only what is still due
        supply = pl.concat([supply, changed])


def test_each_later_wave_counts_the_stock_its_arrived_supply_brought(day):
    counted = pl.concat([w.frames.get(f"stock_wave{w.number}", pl.DataFrame()) for w in day[1:]])
    assert counted.height > 0
    supply = day[0].frames["supply"]
    for wave in day[1:]:
        count = wave.frames.get(f"stock_wave{wave.number}")
        if count is None:
            continue
        assert (count["snapshot_at"] == wave.at - COUNTED_BEFORE).all()
        assert count.select("node_id", "sku").is_unique().all()
        arrived = supply.filter(pl.col("expected_at") <= wave.at - COUNTED_BEFORE)
        assert count.join(arrived, on=["node_id", "sku"], how="anti").is_empty()


def test_arrival_count_adds_what_arrived_and_takes_off_what_shipped_since_the_count():
    counted_at = T0 + timedelta(hours=5)
    stock = pl.concat([_stock("A", 10, T0), _stock("A", 99, T0 - timedelta(days=1))])
    supply = _supply(
        ("TR-1", "A", 6, T0 + timedelta(hours=2), "in_transit"),  # arrived
        ("TR-2", "A", 5, T0 - timedelta(hours=1), "in_transit"),  # in the last count already
        ("PO-1", "A", 7, T0 + timedelta(hours=9), "purchase_order"),  # not yet
        ("PO-2", "B", 3, T0 + timedelta(hours=4), "purchase_order"),  # arrived, never counted
        ("PO-3", "A", 4, T0 + timedelta(hours=3), "purchase_order"),
        ("PO-3", "A", 0, T0 + timedelta(hours=3), "purchase_order"),  # ...then withdrawn
    )
    shipments = pl.DataFrame(
        {
            "node_id": ["DC-01"] * 3,
            "sku": ["A"] * 3,
            "quantity": [2, 1, 8],
            "shipped_at": [
                T0 + timedelta(hours=1),  # after the last count: gone
                T0 - timedelta(hours=1),  # before it: already out of its on_hand
                counted_at + timedelta(minutes=1),  # after this count: still on the shelf
            ],
        }
    )
    count = arrival_count(stock, supply, counted_at, shipments)
    assert count.schema == STAGING_SCHEMAS["stock"]
    assert count.select("sku", "on_hand", "reserved").rows() == [("A", 14, 1), ("B", 3, 0)]
    assert (count["snapshot_at"] == counted_at).all()
    assert arrival_count(stock, supply, T0 + timedelta(hours=1)).is_empty()


def test_supply_changes_delay_an_order_due_soon_and_withdraw_one_due_late():
    at = T0
    supply = _supply(
        ("PO-1", "A", 4, at + timedelta(days=3), "purchase_order"),
        ("PO-1", "B", 2, at + timedelta(days=3), "purchase_order"),
        ("PO-2", "A", 9, at - timedelta(hours=1), "purchase_order"),  # due already
        ("PO-3", "C", 5, at + timedelta(days=10), "purchase_order"),  # after the horizon
        ("PO-3", "D", 5, at + timedelta(days=10), "purchase_order"),
        ("TR-1", "C", 5, at + timedelta(days=1), "in_transit"),
    )
    changes = supply_changes(supply, at, np.random.default_rng(0))
    delayed = changes.filter(pl.col("supply_id") == "PO-1")
    assert delayed["sku"].to_list() == ["A", "B"] and (delayed["quantity"] > 0).all()
    assert (delayed["expected_at"] >= at + timedelta(days=5)).all()
    withdrawn = changes.filter(pl.col("quantity") == 0)
    assert withdrawn.select("supply_id", "sku").rows() in ([("PO-3", "C")], [("PO-3", "D")])
    assert set(changes["supply_id"]) == {"PO-1", "PO-3"}  # nothing due already, no transfer
    promised = pl.DataFrame({"node_id": ["DC-01", "DC-01"], "sku": ["C", "D"]})
    kept = supply_changes(supply, at, np.random.default_rng(0), promised)
    assert (kept["quantity"] > 0).all()  # never withdrawn under a promise
    nothing_due = supply.with_columns(expected_at=pl.lit(at - timedelta(days=1)))
    assert supply_changes(nothing_due, at, np.random.default_rng(0)).is_empty()


def test_next_wave_without_instructions_writes_orders_and_supply_files(tmp_path):
    write_inbox(generate_inbox(orders=300, seed=11, stores=12, dcs=3, skus=120), tmp_path / "in")
    (tmp_path / "out").mkdir()
    frames = next_wave_inbox(tmp_path / "in", tmp_path / "out", orders=40)
    assert {"orders_wave2", "supply_wave2"} <= set(frames)
    assert not any(name.startswith(("shipments", "rejections")) for name in frames)


def test_sample_day_command_writes_four_waves(tmp_path, capsys):
    out = tmp_path / "day"
    sizes = ["--orders=300", "--seed=11", "--stores=12", "--dcs=3", "--skus=120"]
    assert main(["sample", "--day", "--out", str(out), *sizes]) == 0
    printed = capsys.readouterr().out
    assert printed.count("omniroute run --inbox") == 4
    assert sorted(p.name for p in out.iterdir()) == [
        "wave1",
        "wave1.json",
        "wave2",
        "wave2.json",
        "wave3",
        "wave3.json",
        "wave4",
        "wave4.json",
    ]
    placed = pl.read_csv(out / "wave2" / "orders_wave2.csv")["order_id"].n_unique()
    assert placed == round(300 * 3 / 24)  # the night's rate over the three hours since wave 1
    again = tmp_path / "again"
    assert main(["sample", "--day", "--out", str(again), *sizes]) == 0
    for path in sorted(out.rglob("*.*")):
        assert path.read_bytes() == (again / path.relative_to(out)).read_bytes(), path.name


def test_promised_from_supply_reads_every_published_wave(tmp_path):
    header = "run_id,order_id,line_no,sku,quantity,node_id,fulfillment_method,available_at\n"
    for run, published, rows in (
        (
            "a",
            True,
            "a,O1,1,A,1,DC-01,ship_from_dc,2025-03-05T10:00:00Z\na,O2,1,B,1,DC-01,ship_from_dc,\n",
        ),
        ("b", True, "b,O3,1,C,1,ST-001,pickup_in_store,2025-03-04T09:00:00Z\n"),
        ("c", False, "c,O4,1,D,1,DC-02,ship_from_dc,2025-03-05T10:00:00Z\n"),  # not published
    ):
        folder = tmp_path / run / "instructions"
        folder.mkdir(parents=True)
        (folder / "node.csv").write_text(header + rows)
        if published:
            (tmp_path / run / "_SUCCESS").write_text("")
    assert promised_from_supply(tmp_path).rows() == [("DC-01", "A"), ("ST-001", "C")]
    assert promised_from_supply(tmp_path / "nowhere").is_empty()
