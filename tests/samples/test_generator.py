"""The sample inbox generator: deterministic, realistic, and the committed sample is its output."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest

from contracts.atp import available_to_promise
from contracts.intake import validate_paths
from contracts.tables import KEYS
from samples.generator import SNAPSHOT_AT, START, generate_inbox
from samples.inbox import write_frame, write_inbox

HORIZON_DAYS = 7  # the run setting supply_horizon_days' default

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


@pytest.fixture(scope="module")
def inbox() -> dict[str, pl.DataFrame]:
    return generate_inbox(orders=400, seed=11, stores=12, dcs=3, skus=120)


def test_same_seed_same_inbox_other_seed_other_inbox(inbox):
    again = generate_inbox(orders=400, seed=11, stores=12, dcs=3, skus=120)
    assert all(inbox[k].equals(again[k]) for k in inbox)
    other = generate_inbox(orders=400, seed=12, stores=12, dcs=3, skus=120)
    assert not inbox["orders"].equals(other["orders"])


def test_the_inbox_looks_like_a_retailer(inbox):
    orders, nodes = inbox["orders"], inbox["nodes"]
    assert set(orders["channel"]) == {"web", "mobile", "call_center", "store", "marketplace"}
    assert 0.12 < (orders["fulfillment_method"] == "pickup").mean() < 0.3
    assert orders.group_by("order_id").len()["len"].max() > 1
    assert set(orders["service_level"].drop_nulls()) == {"standard", "express"}
    assert orders["ship_to_zone"].drop_nulls().len() > 0
    pickup_nodes = set(orders["pickup_node_id"].drop_nulls())
    assert pickup_nodes <= set(nodes.filter("supports_pickup")["node_id"])
    assert set(nodes["node_type"]) == {"dc", "store"} and nodes.height == 15
    assert (~nodes["supports_pickup"]).any() and (~nodes["supports_ship"]).any()
    demand = orders.group_by("sku").agg(pl.col("quantity").sum())
    atp = (
        available_to_promise(inbox["stock"])
        .group_by("sku")
        .agg(pl.col("available_to_promise").sum())
    )
    short = demand.join(atp, on="sku", how="left").fill_null(0)
    assert (short["quantity"] > short["available_to_promise"]).any()  # stock runs short somewhere
    assert inbox["rates"]["service_level"].n_unique() == 2
    assert inbox["lanes"].height > 0 and inbox["exclusions"].height > 0


def test_written_inbox_validates_with_only_the_deliberate_errors(tmp_path, inbox):
    write_inbox(inbox, tmp_path, "parquet")
    report = validate_paths(sorted(tmp_path.iterdir()))
    bad = {f.path.name for f in report.files if f.status != "ok"}
    assert bad == {"orders_marketplace_errors.parquet"}
    errors = next(f for f in report.files if f.path.name in bad).validation
    assert errors is not None
    assert errors.duplicates == 1 and errors.amended == 1 and errors.reconciles


def test_committed_sample_is_the_generators_default_output(tmp_path):
    write_inbox(generate_inbox(), tmp_path, "csv")
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(p.name for p in SAMPLE.glob("*.csv"))
    for name in written:
        assert (tmp_path / name).read_bytes() == (SAMPLE / name).read_bytes(), name
    assert sum(p.stat().st_size for p in SAMPLE.iterdir()) < 1_000_000


def _days_out() -> pl.Expr:
    """Whole days from the sample's wave day to the day a row is due (its waiting days)."""
    return (pl.col("expected_at").dt.date() - pl.lit(START.date())).dt.total_days()


def test_supply_is_in_transit_on_order_and_beyond_the_horizon(inbox):
    supply = inbox["supply"]
    assert supply.select(KEYS["supply"]).is_unique().all()
    assert (supply["quantity"] > 0).all() and (supply["expected_at"] > SNAPSHOT_AT).all()
    days = supply.select(_days_out()).to_series()
    transit = supply["kind"] == "in_transit"
    on_order = supply["kind"] == "purchase_order"
    assert transit.any() and days.filter(transit).is_between(0, 3).all()
    assert (days.filter(on_order).is_between(3, 6)).any()
    assert (days.filter(on_order) > HORIZON_DAYS).any()  # due after the default horizon
    assert not days.filter(on_order).is_between(7, 8).any()  # clearly on one side of it
    # one ETA per delivery (a supply id at a node)
    assert (
        supply.group_by("supply_id", "node_id")
        .agg(pl.col("expected_at").n_unique())["expected_at"]
        .max()
        == 1
    )
    stores = set(inbox["nodes"].filter(pl.col("node_type") == "store")["node_id"])
    assert set(supply.filter(pl.col("node_id").is_in(stores))["kind"]) == {"in_transit"}


def test_supply_decides_lines_that_on_hand_stock_cannot_fill(inbox):
    """SKUs ordered beyond the DCs' on-hand ATP have supply at the DCs, some only after the
    horizon: without supply those lines would go short."""
    dcs = inbox["nodes"].filter(pl.col("node_type") == "dc")["node_id"].implode()
    atp = available_to_promise(inbox["stock"]).filter(pl.col("node_id").is_in(dcs))
    ordered = inbox["orders"].group_by("sku").agg(units=pl.col("quantity").sum())
    short = ordered.join(
        atp.group_by("sku").agg(atp=pl.col("available_to_promise").sum()), on="sku", how="left"
    ).filter(pl.col("units") > pl.col("atp").fill_null(0))
    assert short.height > 0
    supply = inbox["supply"].filter(pl.col("node_id").is_in(dcs))
    covered = supply.join(short, on="sku")
    assert set(covered["sku"]) == set(short["sku"])
    late_only = covered.group_by("sku").agg((_days_out() > HORIZON_DAYS).all())
    assert late_only["expected_at"].any() and not late_only["expected_at"].all()


def test_returns_are_valid_partner_rows_of_earlier_orders(tmp_path, inbox):
    returns = inbox["returns"]
    paths = [
        write_frame(returns, tmp_path / "returns.csv"),
        write_frame(inbox["nodes"], tmp_path / "nodes.csv"),
    ]
    report = validate_paths(paths)
    checked = next(f for f in report.files if f.kind == "returns").validation
    assert checked is not None and checked.rows_rejected == 0
    assert checked.accepted.height == returns.height > 0
    assert returns["return_id"].is_unique().all()
    assert not returns["order_id"].is_in(inbox["orders"]["order_id"].implode()).any()
    assert set(returns["return_channel"]) == {"in_store", "mail"}
    stores = inbox["nodes"].filter(pl.col("node_type") == "store")["node_id"].implode()
    in_store = returns.filter(pl.col("return_channel") == "in_store")
    assert in_store["node_id"].is_in(stores).all()
    assert returns["resellable"].any() and not returns["resellable"].all()
    assert returns["returned_at"].is_between(SNAPSHOT_AT - timedelta(days=14), SNAPSHOT_AT).all()


def test_some_pickup_stores_have_a_daily_limit_the_first_wave_fits_in(inbox):
    nodes = inbox["nodes"]
    limit = nodes["pickup_capacity_orders"]
    assert limit.filter(~nodes["supports_pickup"]).is_null().all()  # DCs, no-pickup stores
    pickup_stores = nodes.filter("supports_pickup")
    assert pickup_stores["pickup_capacity_orders"].is_null().any()
    limited = pickup_stores.filter(pl.col("pickup_capacity_orders").is_not_null())
    assert limited.height > 0 and (limited["pickup_capacity_orders"] >= 1).all()
    wanted = (
        inbox["orders"]
        .filter(pl.col("fulfillment_method") == "pickup")
        .join(
            available_to_promise(inbox["stock"]).filter(pl.col("available_to_promise") > 0),
            left_on=["pickup_node_id", "sku"],
            right_on=["node_id", "sku"],
        )
        .group_by(node_id="pickup_node_id")
        .agg(orders=pl.col("order_id").n_unique())
    )
    room = limited.join(wanted, on="node_id", how="left").with_columns(
        pl.col("orders").fill_null(0)
    )
    assert (room["pickup_capacity_orders"] >= room["orders"]).all()
