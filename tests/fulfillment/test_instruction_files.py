"""What a node's instruction file says beyond the fill: where a ship-to-store parcel goes, and
money in cents (CSV) or in full (Parquet)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest

from contracts.money import MONEY_COLUMNS
from contracts.results import (
    BACKORDER_SCHEMA,
    INSTRUCTION_SCHEMA,
    INTAKE_SCHEMA,
    INTAKE_SUMMARY_SCHEMA,
)
from fulfillment.intake import ACK_SCHEMA
from fulfillment.outbox import WaveFolder, instruction_rows, publish_folder
from orderbook.run import Wave
from tests.optimizers.builders import line, node, store
from tests.orderbook.test_book import DAY1, Book
from warehouse.book import INSTRUCTIONS, prepare_book
from warehouse.connection import insert_frame, read_table

RUN = "run-0001"


def _publish(outbox: Path, run_id: str, instructions: pl.DataFrame) -> Path:
    publish_folder(
        outbox,
        WaveFolder(
            run_id=run_id,
            instructions=instructions,
            backorders=pl.DataFrame(schema=BACKORDER_SCHEMA),
            acknowledgements=pl.DataFrame(schema=ACK_SCHEMA),
            intake_summary=pl.DataFrame(schema={"sha256": pl.String, **INTAKE_SUMMARY_SCHEMA}),
        ),
    )
    return outbox / run_id / "instructions"


def _csv(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, schema=INSTRUCTION_SCHEMA)


def _pickup_book() -> Book:
    """O1/1 (2 units) for pickup at store S, which has none: a DC must send them (ship to
    store); O2/1 for pickup at S of a sku S holds (BOPIS); O3/1 delivered home from the DC."""
    return Book(
        [node("D", 1.0), store("S", 2.0)],
        [
            line("O1", 1, "X", 2, method="pickup", pickup="S"),
            line("O2", 1, "Y", 1, method="pickup", pickup="S", customer="C2"),
            line("O3", 1, "X", 1, customer="C3"),
        ],
        {("D", "X"): 10, ("S", "Y"): 5},
    )


def _wave_files(tmp_path: Path, wave: Wave) -> dict[str, pl.DataFrame]:
    folder = _publish(tmp_path, wave.run_id, wave.instructions)
    return {p.stem: _csv(p) for p in sorted(folder.glob("*.csv"))}


def test_a_ship_to_store_row_names_the_pickup_store_it_goes_to(tmp_path: Path) -> None:
    b = _pickup_book()
    wave = b.wave()
    files = _wave_files(tmp_path, wave)
    sent = files["D"].filter(pl.col("order_id") == "O1")
    assert sent.select("fulfillment_method", "quantity", "destination_node_id").rows() == [
        ("ship_to_store", 2, "S")
    ]
    home = files["D"].filter(pl.col("order_id") == "O3")
    assert home.select("fulfillment_method", "destination_node_id").rows() == [
        ("ship_from_dc", None)
    ]
    at_store = files["S"].sort("order_id")
    assert at_store.select("order_id", "fulfillment_method", "destination_node_id").rows() == [
        ("O1", "receive_for_pickup", "S"),
        ("O2", "pickup_in_store", "S"),
    ]
    # the Parquet file says the same
    assert pl.read_parquet(tmp_path / wave.run_id / "instructions" / "D.parquet")[
        "destination_node_id"
    ].to_list() == sent["destination_node_id"].to_list() + [None]

    # cancelled, the leg's stop rows at both ends still name the store
    b.send("cancellations", [{"order_id": "O1", "line_no": 1, "quantity": None,
                              "cancelled_at": DAY1 + timedelta(hours=1)}])  # fmt: skip
    files = _wave_files(tmp_path, b.wave(DAY1 + timedelta(hours=2)))
    stops = pl.concat([files["D"], files["S"]]).filter(pl.col("fulfillment_method") == "cancel")
    assert sorted(stops.select("node_id", "quantity", "destination_node_id").rows()) == [
        ("D", 2, "S"),
        ("S", 2, "S"),
    ]


def test_an_older_instructions_table_gains_the_destination_column(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "old.duckdb"))
    con.execute("CREATE SCHEMA plan")
    old = [c for c in INSTRUCTION_SCHEMA if c != "destination_node_id"]
    con.execute(f"CREATE TABLE {INSTRUCTIONS} ({', '.join(f'{c} VARCHAR' for c in old)})")
    con.execute(f"INSERT INTO {INSTRUCTIONS} (run_id, order_id) VALUES ('run-0', 'O9')")
    prepare_book(con)
    wave = _pickup_book().wave()
    insert_frame(con, INSTRUCTIONS, wave.instructions)
    stored = read_table(con, f"SELECT run_id, order_id, destination_node_id FROM {INSTRUCTIONS}")
    assert stored.filter(pl.col("run_id") == "run-0").rows() == [("run-0", "O9", None)]
    assert ("O1", "S") in stored.select("order_id", "destination_node_id").rows()
    con.close()


def test_money_is_in_cents_in_the_csv_and_whole_in_parquet(hand_plan, tmp_path: Path) -> None:
    """P1 costs 10 and holds three rows of the same weight: a third each."""
    base = hand_plan.result
    template = base.allocations.row(0, named=True)
    allocations = pl.DataFrame(
        [{**template, "line_no": n, "sku": "A", "quantity": 1} for n in (1, 2, 3)],
        schema=base.allocations.schema,
    )
    parcels = base.parcels.filter(pl.col("parcel_id") == "P1").with_columns(cost=pl.lit(10.0))
    plan = replace(base, allocations=allocations, parcels=parcels)
    folder = _publish(tmp_path, RUN, instruction_rows(plan, hand_plan.products, RUN))
    text = (folder / "DC1.csv").read_text(encoding="utf-8")
    written = pl.read_csv(folder / "DC1.csv", infer_schema=False)["parcel_cost"].to_list()
    assert written == ["3.33", "3.34", "3.33"]  # the rounded shares add up to the parcel's 10
    assert "3.333" not in text
    exact = pl.read_parquet(folder / "DC1.parquet")["parcel_cost"]
    assert exact.to_list() == pytest.approx([10 / 3] * 3, abs=1e-12)
    assert exact.sum() == pytest.approx(10.0)


def test_every_number_an_outbox_csv_carries_is_either_money_or_not_fractional() -> None:
    """A new fractional column must be declared money (rounded) or left on purpose."""
    for schema in (INSTRUCTION_SCHEMA, BACKORDER_SCHEMA, INTAKE_SCHEMA, INTAKE_SUMMARY_SCHEMA):
        floats = {c for c, dtype in schema.items() if dtype.is_float()}
        assert floats <= MONEY_COLUMNS
