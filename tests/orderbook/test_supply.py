"""Supply, daily capacity and pickup slots across waves (pure functions on the order book).

Node A sits 1 degree from the customers (standard band: 5.0, 1 transit day); supply of X is
due at A on the third day of the waves.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl

from contracts.tables import STAGING_SCHEMAS
from orderbook.netting import net_available
from tests.optimizers.builders import EXACT, line, node, store
from tests.orderbook.test_book import DAY1, SNAPSHOT, Book

ETA = datetime(2025, 3, 5, 9, tzinfo=UTC)


def _supply(quantity: int, expected_at: datetime = ETA, supply_id: str = "ASN-1") -> pl.DataFrame:
    rows = [{"supply_id": supply_id, "node_id": "A", "sku": "X", "quantity": quantity,
             "expected_at": expected_at, "kind": "in_transit"}]  # fmt: skip
    return pl.DataFrame(rows, schema=STAGING_SCHEMAS["supply"])


def _position(b: Book, day: date) -> dict:
    inventory, free = net_available(
        b.frames["stock"], b.book, b.events, b.frames.get("supply"), day=day
    )
    row = inventory.filter((pl.col("node_id") == "A") & (pl.col("sku") == "X")).row(0, named=True)
    return row | {"free_supply": int(free["available_to_promise"].sum() or 0)}


def test_supply_is_promised_once_and_ships_on_the_day_it_arrives():
    b = Book([node("A", 1.0)], [line("O1", 1, "X", 2)], {("A", "X"): 0})
    b.frames["supply"] = _supply(3)
    first = b.wave()
    row = first.plan.allocations.row(0, named=True)
    assert (row["quantity"], row["available_at"]) == (2, ETA)
    assert row["expected_delivery_days"] == 2 + 1  # waits 2 days, ships, 1 day in transit
    commitment = b.book.commitments.row(0, named=True)
    assert commitment["business_day"] == date(2025, 3, 5)
    assert commitment["available_at"] == ETA
    assert _position(b, DAY1.date())["supply_committed"] == 2
    b.frames["orders"] = pl.concat(
        [b.frames["orders"], b.frames["orders"].with_columns(order_id=pl.lit("O2"))]
    )
    second = b.wave(DAY1 + timedelta(hours=2))
    assert second.plan.allocations["quantity"].sum() == 1  # the one unit left on its way
    assert _position(b, DAY1.date())["free_supply"] == 0


def test_a_snapshot_after_the_eta_retires_the_supply_and_keeps_the_promise():
    b = Book([node("A", 1.0)], [line("O1", 1, "X", 2)], {("A", "X"): 0})
    b.frames["supply"] = _supply(3)
    b.wave()
    before = _position(b, DAY1.date())
    assert (before["in_transit"], before["supply_committed"], before["committed"]) == (3, 2, 0)
    arrived = b._snapshot({("A", "X"): 3}, ETA + timedelta(hours=1))
    lineage = {"source_file": "stock_2.csv", "file_sha256": "sha-2", "row_number": 1}
    arrived = arrived.with_columns(pl.lit(v).alias(k) for k, v in lineage.items())
    b.frames["stock"] = pl.concat([b.frames["stock"], arrived.cast(b.frames["stock"].schema)])
    after = _position(b, date(2025, 3, 5))
    assert (after["in_transit"], after["supply_committed"]) == (0, 0)
    assert (after["committed"], after["available_to_promise"]) == (2, 1)  # 3 on hand, 2 held


def test_a_withdrawn_supply_keeps_its_promises_against_stock_on_hand():
    b = Book([node("A", 1.0)], [line("O1", 1, "X", 2)], {("A", "X"): 0})
    b.frames["supply"] = _supply(3)
    b.wave()
    b.frames["supply"] = _supply(0)  # the ASN is withdrawn
    b.frames["stock"] = b._snapshot({("A", "X"): 5}, SNAPSHOT).with_columns(
        source_file=pl.lit("stock.csv"), file_sha256=pl.lit("sha"), row_number=pl.lit(1, pl.Int64)
    )
    position = _position(b, DAY1.date())
    assert position["committed"] == 2 and position["available_to_promise"] == 3


def test_waves_of_one_business_day_share_capacity_in_the_business_time_zone():
    def day_of_waves(zone: str) -> int:
        b = Book([node("A", 1.0, cap=1)], [line("O1", 1, "X", 1)], {("A", "X"): 5})
        settings = EXACT.with_(business_timezone=zone)
        b.wave(datetime(2025, 3, 3, 14, tzinfo=UTC), settings)
        b.frames["orders"] = pl.concat(
            [b.frames["orders"], b.frames["orders"].with_columns(order_id=pl.lit("O2"))]
        )
        late = b.wave(datetime(2025, 3, 3, 16, tzinfo=UTC), settings)
        return int(late.plan.allocations["quantity"].sum() or 0)

    assert day_of_waves("UTC") == 0  # 14:00 and 16:00 UTC: one day, its capacity used
    assert day_of_waves("Asia/Tokyo") == 1  # 23:00 and 01:00 in Tokyo: a new day


def test_pickup_slots_are_shared_by_the_waves_of_a_day():
    pickup = {"method": "pickup", "pickup": "S"}
    b = Book(
        [store("S", 0.0, pickup_capacity_orders=1)],
        [line("O1", 1, "X", 1, **pickup)],
        {("S", "X"): 5},
    )
    assert b.wave().plan.allocations["fulfillment_method"].to_list() == ["pickup_in_store"]
    b.frames["orders"] = pl.concat(
        [b.frames["orders"], b.frames["orders"].with_columns(order_id=pl.lit("O2"))]
    )
    same_day = b.wave(DAY1 + timedelta(hours=3))
    assert same_day.plan.allocations.is_empty()
    assert same_day.plan.backorders["reason"].to_list() == ["no_capacity"]
    next_day = b.wave(DAY1 + timedelta(days=1))
    assert next_day.plan.allocations["order_id"].to_list() == ["O2"]
