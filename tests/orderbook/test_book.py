"""The order book's rules on tiny hand-built waves (pure functions: no Dagster, no DuckDB).

Nodes sit on the equator (tests/optimizers/builders): A at 1 degree from the customers, B at 5,
so A is the cheaper source whenever it has stock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from contracts.kinds import FEEDBACK_KINDS
from contracts.tables import STAGING_SCHEMAS
from orderbook.run import Intake, Wave, run_wave
from orderbook.state import OrderBook, identity_breaks
from orderbook.wave import Staged
from tests.optimizers.builders import EXACT, line, make_inputs, node

SNAPSHOT = datetime(2025, 3, 3, 5, tzinfo=UTC)
DAY1 = datetime(2025, 3, 3, 6, tzinfo=UTC)
NO_INTAKE = Intake(
    pl.DataFrame(
        schema={
            "file_name": pl.String,
            "sha256": pl.String,
            "kind": pl.String,
            "status": pl.String,
            "rows_read": pl.Int64,
            "rows_accepted": pl.Int64,
            "rows_rejected": pl.Int64,
            "rows_duplicate": pl.Int64,
            "message": pl.String,
        }
    ),  # fmt: skip
    pl.DataFrame(
        schema={
            "sha256": pl.String,
            "row_number": pl.Int64,
            "column": pl.String,
            "rule": pl.String,
            "message": pl.String,
        }
    ),  # fmt: skip
    pl.DataFrame(schema={"sha256": pl.String, "row_number": pl.Int64}),
)


def _lineage(frame: pl.DataFrame, name: str) -> pl.DataFrame:
    return frame.with_columns(
        source_file=pl.lit(name),
        file_sha256=pl.lit(f"sha-{name}"),
        row_number=pl.int_range(1, pl.len() + 1, dtype=pl.Int64),
    )


def feedback(kind: str, rows: list[dict], name: str | None = None) -> pl.DataFrame:
    schema = STAGING_SCHEMAS[kind]
    frame = pl.DataFrame([{k: r.get(k) for k in schema} for r in rows], schema=schema)
    return _lineage(frame, name or f"{kind}.csv")


class Book:
    """A deployment in memory: staged frames, the published book, waves run on them."""

    def __init__(self, nodes: list[dict], lines: list[dict], stock: dict, cap=None) -> None:
        inputs = make_inputs(nodes, lines, stock)
        self.frames = {
            "orders": _lineage(inputs.orders, "orders.csv"),
            "nodes": _lineage(inputs.nodes, "nodes.csv"),
            "products": _lineage(inputs.products, "products.csv"),
            "rates": _lineage(inputs.rates, "rates.csv"),
            "lanes": _lineage(inputs.lanes, "lanes.csv"),
            "exclusions": _lineage(inputs.exclusions, "exclusions.csv"),
            "stock": _lineage(self._snapshot(stock, SNAPSHOT), "stock.csv"),
        }
        self.book = OrderBook.empty()
        self.pending = {k: feedback(k, []) for k in FEEDBACK_KINDS}
        self.events = pl.DataFrame()
        self.applied: dict[str, list[str]] = {k: [] for k in FEEDBACK_KINDS}
        self.n = 0

    @staticmethod
    def _snapshot(stock: dict, at: datetime) -> pl.DataFrame:
        rows = [{"node_id": n, "sku": s, "on_hand": q, "reserved": 0, "safety_stock": 0,
                 "snapshot_at": at} for (n, s), q in stock.items()]  # fmt: skip
        return pl.DataFrame(rows, schema=STAGING_SCHEMAS["stock"])

    def send(self, kind: str, rows: list[dict]) -> None:
        self.n += 1
        frame = feedback(kind, rows, f"{kind}_{self.n}.csv")
        self.frames[kind] = pl.concat([self.frames.get(kind, frame.head(0)), frame])
        self.pending[kind] = pl.concat([self.pending[kind], frame])

    def amend(self, **changes) -> None:
        self.n += 1
        keys = pl.DataFrame(
            {"order_id": [changes.pop("order_id")], "line_no": [changes.pop("line_no")]}
        )
        row = self.frames["orders"].join(keys, on=["order_id", "line_no"])
        row = row.with_columns(**{k: pl.lit(v, row.schema[k]) for k, v in changes.items()})
        row = row.with_columns(
            source_file=pl.lit(f"orders_{self.n}.csv"),
            file_sha256=pl.lit(f"sha-orders_{self.n}.csv"),
            row_number=pl.lit(1, pl.Int64),
        )
        kept = self.frames["orders"].join(keys, on=["order_id", "line_no"], how="anti")
        self.frames["orders"] = pl.concat([kept, row.select(kept.columns)])

    def wave(self, at: datetime = DAY1, settings=EXACT) -> Wave:
        frames = {k: self.frames.get(k, self.pending[k]) for k in FEEDBACK_KINDS}
        applied = {k: pl.Series("feedback_key", v, pl.String) for k, v in self.applied.items()}
        staged = Staged(
            frames={**self.frames, **frames},
            unapplied=self.pending,
            applied_keys=applied,
            events=self.events if self.events.height else Staged({}, {}).events,
        )
        wave = run_wave(self.book, staged, NO_INTAKE, settings, f"run-{self.n}-{at:%H%M}", at)
        assert identity_breaks(wave.book).is_empty()
        self.book = wave.book
        self.events = (
            pl.concat([staged.events, wave.events]) if staged.events.height else wave.events
        )
        for kind in FEEDBACK_KINDS:
            done = wave.taken.feedback.filter(pl.col("kind") == kind)
            self.applied[kind] += done.filter(pl.col("status") != "rejected")[
                "feedback_key"
            ].to_list()
        self.pending = {k: feedback(k, []) for k in FEEDBACK_KINDS}
        self.n += 1
        return wave


def shipment(shipment_id: str, node_id: str, quantity: int, at: datetime) -> dict:
    """A shipment row of line O1/1."""
    return {"shipment_id": shipment_id, "order_id": "O1", "line_no": 1, "node_id": node_id,
            "quantity": quantity, "shipped_at": at}  # fmt: skip


def fills(wave: Wave) -> list[tuple]:
    rows = wave.plan.allocations
    return sorted(rows.select("order_id", "line_no", "node_id", "quantity").rows())


def status(book: Book, order_id: str = "O1", line_no: int = 1) -> dict:
    lines = book.book.lines
    return lines.filter((pl.col("order_id") == order_id) & (pl.col("line_no") == line_no)).row(
        0, named=True
    )


def two_nodes(stock_a: int = 2, stock_b: int = 5, qty: int = 2) -> Book:
    return Book(
        [node("A", 1.0), node("B", 5.0)],
        [line("O1", 1, "X", qty)],
        {("A", "X"): stock_a, ("B", "X"): stock_b},
    )


def test_a_rejected_line_is_sourced_again_elsewhere_never_at_the_rejecting_node():
    b = two_nodes()
    assert fills(b.wave()) == [("O1", 1, "A", 2)]
    b.send("rejections", [{"order_id": "O1", "line_no": 1, "node_id": "A", "quantity": 2,
                           "rejected_at": DAY1 + timedelta(hours=1)}])  # fmt: skip
    again = b.wave(DAY1 + timedelta(hours=4))
    assert fills(again) == [("O1", 1, "B", 2)]
    assert status(b)["instructed_open"] == 2 and status(b)["open"] == 0
    # A's stock of X counts the rejected units as gone until its next snapshot
    inventory = again.inputs.inventory.filter(pl.col("node_id") == "A").row(0, named=True)
    assert inventory["rejected_since"] == 2 and inventory["available_to_promise"] == 0


def test_a_node_cannot_confirm_more_than_it_holds_open_rows_in_sequence():
    b = two_nodes(stock_a=3, qty=3)
    b.wave()
    at = DAY1 + timedelta(hours=1)
    b.send("shipments", [shipment("S1", "A", 2, at), shipment("S2", "A", 2, at),
                         shipment("S3", "A", 1, at), shipment("S4", "B", 1, at)])  # fmt: skip
    wave = b.wave(DAY1 + timedelta(hours=4))
    outcomes = wave.taken.feedback.sort("row_number").select("status", "rule").rows()
    assert outcomes == [("applied", None), ("rejected", "not_instructed"), ("applied", None),
                        ("rejected", "not_instructed")]  # fmt: skip
    assert status(b)["shipped"] == 3 and status(b)["state"] == "shipped"
    # the same key again, in a later file: refused as already applied
    b.send("shipments", [{"shipment_id": "S1", "order_id": "O1", "line_no": 1, "node_id": "A",
                          "quantity": 1, "shipped_at": at}])  # fmt: skip
    assert b.wave(DAY1 + timedelta(hours=5)).taken.feedback["rule"].to_list() == ["already_applied"]


def test_a_cancellation_takes_open_units_first_then_instructed_ones():
    b = two_nodes(stock_a=2, stock_b=0, qty=5)  # only 2 units anywhere: 2 instructed, 3 open
    b.wave()
    assert (status(b)["instructed_open"], status(b)["open"]) == (2, 3)
    b.send("cancellations", [{"order_id": "O1", "line_no": 1, "quantity": 4,
                              "cancelled_at": DAY1 + timedelta(hours=1)}])  # fmt: skip
    wave = b.wave(DAY1 + timedelta(hours=4))
    line = status(b)
    assert (line["ordered"], line["cancelled"], line["instructed_open"], line["open"]) == (
        5,
        4,
        1,
        0,
    )
    stops = wave.instructions.filter(pl.col("fulfillment_method") == "cancel")
    assert stops.select("node_id", "quantity").rows() == [("A", 1)]
    # the freed unit is promisable again
    assert (
        wave.inputs.inventory.filter(pl.col("node_id") == "A")["available_to_promise"].item() == 1
    )
    # a cancellation of everything left, a line with shipped units: applied in part
    b.send("shipments", [{"shipment_id": "S1", "order_id": "O1", "line_no": 1, "node_id": "A",
                          "quantity": 1, "shipped_at": DAY1 + timedelta(hours=5)}])  # fmt: skip
    b.send("cancellations", [{"order_id": "O1", "line_no": None, "quantity": None,
                              "cancelled_at": DAY1 + timedelta(hours=6)}])  # fmt: skip
    last = b.wave(DAY1 + timedelta(hours=8))
    cancel = last.taken.feedback.filter(pl.col("kind") == "cancellations").row(0, named=True)
    assert (cancel["status"], cancel["rule"]) == ("partly_applied", "already_shipped")
    assert status(b)["state"] == "shipped"


def test_an_amendment_lowers_open_units_first_and_never_below_what_shipped():
    b = two_nodes(stock_a=2, stock_b=0, qty=4)  # 2 instructed at A, 2 open
    b.wave()
    b.amend(order_id="O1", line_no=1, quantity=3)
    wave = b.wave(DAY1 + timedelta(hours=4))
    assert (status(b)["ordered"], status(b)["instructed_open"], status(b)["open"]) == (3, 2, 1)
    assert wave.instructions.filter(pl.col("fulfillment_method") == "cancel").is_empty()
    b.amend(order_id="O1", line_no=1, quantity=1)  # one instructed unit must be stopped
    wave = b.wave(DAY1 + timedelta(hours=5))
    assert wave.instructions.filter(pl.col("fulfillment_method") == "cancel")[
        "quantity"
    ].to_list() == [1]
    b.send("shipments", [{"shipment_id": "S1", "order_id": "O1", "line_no": 1, "node_id": "A",
                          "quantity": 1, "shipped_at": DAY1 + timedelta(hours=6)}])  # fmt: skip
    b.wave(DAY1 + timedelta(hours=7))
    b.amend(order_id="O1", line_no=1, quantity=0)
    wave = b.wave(DAY1 + timedelta(hours=8))
    assert status(b)["ordered"] == 1 and wave.taken.clamped["kept"].to_list() == [1]


def test_a_changed_line_is_cancelled_at_its_node_and_sourced_anew():
    b = two_nodes(stock_a=2, stock_b=5, qty=2)
    b.wave()
    b.amend(order_id="O1", line_no=1, service_level="express")
    wave = b.wave(DAY1 + timedelta(hours=4))
    stops = wave.instructions.filter(pl.col("fulfillment_method") == "cancel")
    assert stops.select("node_id", "quantity").rows() == [("A", 2)]
    # the cancelled units are free again, so the line goes back to A
    assert fills(wave) == [("O1", 1, "A", 2)]
    assert status(b)["instructed_open"] == 2


def test_waves_of_one_day_share_capacity_and_the_next_day_starts_fresh():
    b = Book([node("A", 1.0, cap=2), node("B", 5.0)], [line("O1", 1, "X", 2)],
             {("A", "X"): 10, ("B", "X"): 10})  # fmt: skip
    assert fills(b.wave()) == [("O1", 1, "A", 2)]
    more = make_inputs([node("A", 1.0)], [line("O2", 1, "X", 2, minute=5)], {("A", "X"): 1}).orders
    b.frames["orders"] = pl.concat([b.frames["orders"], _lineage(more, "orders_2.csv")])
    assert fills(b.wave(DAY1 + timedelta(hours=4))) == [("O2", 1, "B", 2)]  # A is full today
    more = make_inputs([node("A", 1.0)], [line("O3", 1, "X", 2, minute=9)], {("A", "X"): 1}).orders
    b.frames["orders"] = pl.concat([b.frames["orders"], _lineage(more, "orders_3.csv")])
    assert fills(b.wave(DAY1 + timedelta(days=1))) == [("O3", 1, "A", 2)]  # a new day


def test_parcels_an_earlier_wave_sent_count_against_the_limit():
    b = Book([node("A", 1.0), node("B", 5.0)], [line("O1", 1, "X", 1), line("O1", 2, "Y", 1)],
             {("A", "X"): 1, ("B", "Y"): 0})  # fmt: skip
    assert fills(b.wave(settings=EXACT.with_(max_parcels_per_order=1))) == [("O1", 1, "A", 1)]
    b.frames["stock"] = pl.concat(
        [
            b.frames["stock"],
            _lineage(Book._snapshot({("B", "Y"): 5}, DAY1 + timedelta(hours=1)), "stock_2.csv"),
        ]
    )
    later = b.wave(DAY1 + timedelta(hours=4), settings=EXACT.with_(max_parcels_per_order=1))
    assert fills(later) == []  # the order's one parcel left in wave 1
    assert later.plan.backorders["reason"].to_list() == ["split_limit"]
    assert fills(
        b.wave(DAY1 + timedelta(hours=5), settings=EXACT.with_(max_parcels_per_order=2))
    ) == [("O1", 2, "B", 1)]


@pytest.mark.parametrize(
    "shipped_at, committed", [(SNAPSHOT - timedelta(hours=1), 0), (DAY1 + timedelta(hours=1), 2)]
)
def test_atp_nets_units_shipped_after_the_snapshot_only(shipped_at, committed):
    b = two_nodes(stock_a=2, stock_b=0, qty=2)
    b.wave()
    b.send("shipments", [{"shipment_id": "S1", "order_id": "O1", "line_no": 1, "node_id": "A",
                          "quantity": 2, "shipped_at": shipped_at}])  # fmt: skip
    wave = b.wave(DAY1 + timedelta(hours=4))
    a = wave.inputs.inventory.filter(pl.col("node_id") == "A").row(0, named=True)
    # shipped before the snapshot: already gone from on_hand; after it: still in it, committed
    assert (a["committed"], a["available_to_promise"]) == (committed, 2 - committed)
