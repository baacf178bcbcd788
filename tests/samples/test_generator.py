"""The sample inbox generator: deterministic, realistic, and the committed sample is its output."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from contracts.atp import available_to_promise
from contracts.intake import validate_paths
from samples.generator import generate_inbox
from samples.inbox import write_inbox

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
    assert errors.duplicates == 1 and errors.amended == 1 and errors.reconciles


def test_committed_sample_is_the_generators_default_output(tmp_path):
    write_inbox(generate_inbox(), tmp_path, "csv")
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(p.name for p in SAMPLE.glob("*.csv"))
    for name in written:
        assert (tmp_path / name).read_bytes() == (SAMPLE / name).read_bytes(), name
    assert sum(p.stat().st_size for p in SAMPLE.iterdir()) < 1_000_000
