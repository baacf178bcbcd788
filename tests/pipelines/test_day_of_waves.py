"""A business day of four waves and the next days, with supply on its way and returns.

Through the real CLI, Dagster and DuckDB files, on a hand-sized deployment whose limits are
known: DC-A holds 8 units of X and ships 5 units a day, store ST-S prepares 2 pickup orders a
day, 6 units of X are in transit to DC-A (due on the third day), 5 units of Y are on order for
after the 7-day horizon. After every wave: the line identity holds, nothing is instructed
twice, no node x sku is promised beyond its stock plus the supply no snapshot covers, no
node-day exceeds its capacities, and ``marts.inventory_position`` reconciles.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from tests.pipelines.test_waves import Deployment

DAY = "2026-12-01"
NODES = [
    # node_id, type, lon, ship units/day, ship, pickup, pickup orders/day
    ("DC-A", "dc", 1.0, 5, "true", "false", ""),
    ("ST-S", "store", 0.5, 0, "false", "true", "2"),
]
HEADER_NODES = (
    "node_id,node_type,name,latitude,longitude,ship_capacity_units,ship_capacity_orders,"
    "supports_ship,supports_pickup,handling_cost_per_order,handling_cost_per_unit,"
    "processing_days,pickup_capacity_orders"
)
ORDER_HEADER = (
    "order_id,line_no,channel,ordered_at,customer_id,sku,quantity,unit_price,"
    "fulfillment_method,pickup_node_id,service_level,ship_to_latitude,ship_to_longitude,"
    "promised_days"
)


def _write(path: Path, header: str, rows: list[str]) -> None:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")


def _reference_files(inbox: Path) -> None:
    inbox.mkdir(parents=True)
    _write(
        inbox / "nodes.csv",
        HEADER_NODES,
        [
            f"{n},{t},{n},0.0,{lon},{cap},,{s},{p},1.0,0.1,0,{pc}"
            for n, t, lon, cap, s, p, pc in NODES
        ],
    )
    _write(inbox / "products.csv", "sku,name,unit_cost,weight_kg", ["X,X,10,1", "Y,Y,10,1"])
    _write(
        inbox / "rates.csv",
        "service_level,max_distance_km,cost_per_package,cost_per_kg,transit_days",
        ["standard,3000,5.0,0.0,1"],
    )
    _write(
        inbox / "stock.csv",
        "node_id,sku,on_hand,reserved,safety_stock,snapshot_at",
        [f"DC-A,X,8,0,0,{DAY}T06:00:00Z", f"ST-S,X,3,0,0,{DAY}T06:00:00Z"],
    )
    _write(
        inbox / "supply.csv",
        "supply_id,node_id,sku,quantity,expected_at,kind",
        [
            "ASN-1,DC-A,X,6,2026-12-03T10:00:00Z,in_transit",
            "PO-1,DC-A,Y,5,2026-12-12T10:00:00Z,purchase_order",
        ],
    )


def _orders(inbox: Path, wave: int, at: str, ship_x: int, pickups: int, ship_y: int = 0) -> None:
    rows, n = [], 0
    for kind, count in (("ship_x", ship_x), ("pickup", pickups), ("ship_y", ship_y)):
        for _ in range(count):
            n += 1
            order = f"W{wave}-{n}"
            if kind == "pickup":
                rows.append(f"{order},1,web,{at},C{n},X,1,50,pickup,ST-S,standard,,,")
            else:
                sku = "X" if kind == "ship_x" else "Y"
                rows.append(f"{order},1,web,{at},C{n},{sku},2,50,ship,,standard,0.0,0.0,")
    _write(inbox / f"orders_wave{wave}.csv", ORDER_HEADER, rows)


def _config(root: Path, wave: int, at: str) -> str:
    path = root / f"wave{wave}.json"
    path.write_text(json.dumps({"wave_at": at, "mip_gap": 0.0}), encoding="utf-8")
    return str(path)


def _node_days(d: Deployment) -> pl.DataFrame:
    """Per node and business day: units and orders shipped, pickup orders (held work)."""
    return d.sql(
        """
        SELECT node_id, business_day,
               sum(quantity - rejected - cancelled)
                   FILTER (WHERE fulfillment_method <> 'pickup_in_store') AS units,
               count(DISTINCT order_id)
                   FILTER (WHERE fulfillment_method = 'pickup_in_store') AS pickups
        FROM plan.commitments WHERE quantity - rejected - cancelled > 0 GROUP BY ALL
        """
    )


def _assert_day_limits(d: Deployment) -> None:
    days = _node_days(d)
    dc = days.filter(pl.col("node_id") == "DC-A")
    assert (dc["units"].fill_null(0) <= 5).all(), dc
    store = days.filter(pl.col("node_id") == "ST-S")
    assert (store["pickups"] <= 2).all(), store


def _assert_position_reconciles(d: Deployment, run_id: str) -> pl.DataFrame:
    position = d.sql("SELECT * FROM marts.inventory_position WHERE run_id = ?", [run_id])
    assert position.height > 0
    free = (
        pl.col("on_hand") - pl.col("reserved") - pl.col("safety_stock") - pl.col("committed")
        - pl.col("rejected_since")
    ).clip(lower_bound=0)  # fmt: skip
    assert position.filter(pl.col("available_to_promise") != free).is_empty()
    held = d.sql("SELECT node_id, sku, sum(open) AS open FROM plan.commitments GROUP BY ALL")
    joined = position.join(held, on=["node_id", "sku"], how="left").with_columns(
        pl.col("open").fill_null(0)
    )
    assert (joined["instructed_open"] == joined["open"]).all()
    assert (joined["open"] <= joined["committed"] + joined["supply_committed"]).all()
    return position


def _wave(d: Deployment, capsys, root: Path, wave: int, at: str) -> dict:
    summary = d.wave(capsys, "--config", _config(root, wave, at))
    d.assert_sound()
    _assert_day_limits(d)
    _assert_position_reconciles(d, summary["run_id"])
    return summary


def test_a_day_of_four_waves_with_supply_shares_capacity_and_never_promises_twice(
    tmp_path, monkeypatch, capsys
):
    d = Deployment(tmp_path, monkeypatch)
    _reference_files(d.inbox)
    _write(
        d.inbox / "returns.csv",
        "return_id,order_id,line_no,quantity,returned_at,return_channel,node_id,resellable",
        ["R-1,OLD-1,1,1,2026-11-30T12:00:00Z,in_store,ST-S,true"],
    )
    _orders(d.inbox, 1, f"{DAY}T07:30:00Z", ship_x=2, pickups=1, ship_y=1)
    first = _wave(d, capsys, tmp_path, 1, f"{DAY}T08:00:00Z")
    assert d.sql("SELECT count(*) AS n FROM staging.returns")["n"][0] == 1
    assert d.sql("SELECT count(*) AS n FROM staging.supply")["n"][0] == 2
    waiting = d.sql(
        "SELECT * FROM plan.backorders WHERE run_id = ? AND method = 'optimizer' "
        "AND reason = 'awaiting_supply'",
        [first["run_id"]],
    )
    assert set(waiting["sku"]) == {"Y"}
    assert waiting["expected_at"].to_list() == [datetime(2026, 12, 12, 10, tzinfo=UTC)]

    for wave, hour in ((2, "11"), (3, "14"), (4, "17")):
        _orders(d.inbox, wave, f"{DAY}T{hour}:00:00Z", ship_x=1, pickups=1)
        _wave(d, capsys, tmp_path, wave, f"{DAY}T{hour}:30:00Z")
    today = _node_days(d).filter(pl.col("business_day") == datetime(2026, 12, 1).date())
    dc_today = today.filter(pl.col("node_id") == "DC-A")["units"].sum()
    assert dc_today == 5  # 8 on hand, 10 wanted: the day's capacity binds across the waves
    assert today.filter(pl.col("node_id") == "ST-S")["pickups"].sum() == 2  # the day's slots
    from_supply = d.sql("SELECT * FROM plan.commitments WHERE available_at IS NOT NULL")
    assert from_supply.height > 0
    assert set(from_supply["business_day"].cast(pl.String)) == {"2026-12-03"}
    assert from_supply["quantity"].sum() <= 5  # its day's capacity, and the 6 in transit

    # The next day starts fresh: the store's pickup slots are open again.
    _orders(d.inbox, 5, "2026-12-02T07:00:00Z", ship_x=0, pickups=2)
    _wave(d, capsys, tmp_path, 5, "2026-12-02T08:00:00Z")
    pickups = _node_days(d).filter(
        (pl.col("node_id") == "ST-S") & (pl.col("business_day") == datetime(2026, 12, 2).date())
    )
    assert pickups["pickups"].sum() >= 1

    # The shipment arrives and a snapshot after its ETA counts it (nothing has shipped yet:
    # the 8 units on hand plus the 6 that came): the supply row retires.
    _write(
        d.inbox / "stock_dec3.csv",
        "node_id,sku,on_hand,reserved,safety_stock,snapshot_at",
        ["DC-A,X,14,0,0,2026-12-03T12:00:00Z"],
    )
    last = _wave(d, capsys, tmp_path, 6, "2026-12-03T13:00:00Z")
    position = _assert_position_reconciles(d, last["run_id"]).filter(
        (pl.col("node_id") == "DC-A") & (pl.col("sku") == "X")
    )
    row = position.row(0, named=True)
    assert row["in_transit"] == 0 and row["supply_committed"] == 0
    assert row["committed"] == row["instructed_open"]  # promised from supply, now from stock
