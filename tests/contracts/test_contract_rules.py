"""Each rule of the partner contract, exercised on a real file: the bad cell is rejected with
the rule's name, the good cells around it are not, and accepted values parse as promised."""

from __future__ import annotations

import dataclasses
import datetime as dt

import polars as pl
import pytest

from contracts.schemas import Reference
from tests.contracts.partner_rows import GOOD, check_rows, reasons, reference, row

UTC = dt.UTC

PICKUP = {"fulfillment_method": "pickup"}
LAT_LON = "ship_to_required"
# (kind, changed cells, column reported, rule)
BROKEN = [
    ("orders", {"order_id": "../etc/passwd"}, "order_id", "id_format"),
    ("orders", {"customer_id": "C" * 65}, "customer_id", "id_format"),
    ("orders", {"customer_id": ""}, "customer_id", "required"),
    ("orders", {"customer_email": "c1@example"}, "customer_email", "email_format"),
    ("orders", {"ship_to_postal_code": "9" * 1001}, "ship_to_postal_code", "max_length"),
    ("orders", {"line_no": "0"}, "line_no", "min"),
    ("orders", {"quantity": "3.5"}, "quantity", "integer"),
    ("orders", {"quantity": "0"}, "quantity", "min"),
    ("orders", {"unit_price": "abc"}, "unit_price", "number"),
    ("orders", {"unit_price": "inf"}, "unit_price", "number"),
    ("orders", {"unit_price": "-0.01"}, "unit_price", "min"),
    # plausible bounds: the values the defect report saw accepted and wreck the solve
    ("orders", {"quantity": "9000000000000000000"}, "quantity", "max"),
    ("orders", {"quantity": "9e18"}, "quantity", "integer"),
    ("orders", {"quantity": "99999999999999999999"}, "quantity", "integer"),
    ("orders", {"unit_price": "1e308"}, "unit_price", "max"),
    ("orders", {"promised_days": "400"}, "promised_days", "max"),
    ("orders", {"line_no": "100001"}, "line_no", "max"),
    ("products", {"weight_kg": "1e308"}, "weight_kg", "max"),
    ("products", {"unit_cost": "1e7"}, "unit_cost", "max"),
    ("nodes", {"handling_cost_per_order": "1e308"}, "handling_cost_per_order", "max"),
    ("nodes", {"handling_cost_per_unit": "10001"}, "handling_cost_per_unit", "max"),
    ("nodes", {"ship_capacity_units": "1000000001"}, "ship_capacity_units", "max"),
    ("nodes", {"processing_days": "366"}, "processing_days", "max"),
    ("stock", {"on_hand": "9000000000000000000"}, "on_hand", "max"),
    ("rates", {"cost_per_package": "1e308"}, "cost_per_package", "max"),
    ("rates", {"max_distance_km": "40000"}, "max_distance_km", "max"),
    ("lanes", {"cost_per_kg": "1e308"}, "cost_per_kg", "max"),
    ("orders", {"channel": "fax"}, "channel", "enum"),
    ("orders", {"ordered_at": "yesterday"}, "ordered_at", "timestamp"),
    ("orders", {"ordered_at": "2025-02-30"}, "ordered_at", "timestamp"),
    ("orders", {"ship_to_latitude": "91"}, "ship_to_latitude", "max"),
    ("orders", {"ship_to_longitude": "-181"}, "ship_to_longitude", "min"),
    ("orders", {"promised_days": "-1"}, "promised_days", "min"),
    ("orders", {"service_level": "overnight"}, "service_level", "enum"),
    ("orders", {"sku": "SKU-404"}, "sku", "unknown_sku"),
    ("orders", {"fulfillment_method": "pickup"}, "pickup_node_id", "pickup_node_required"),
    ("orders", {**PICKUP, "pickup_node_id": "X-9"}, "pickup_node_id", "unknown_node"),
    ("orders", {**PICKUP, "pickup_node_id": "DC-1"}, "pickup_node_id", "pickup_not_supported"),
    ("orders", {"ship_to_latitude": ""}, "ship_to_latitude", "ship_to_required"),
    ("orders", {"ship_to_zone": "MW", "ship_to_longitude": ""}, "ship_to_longitude", LAT_LON),
    ("nodes", {"node_type": "warehouse"}, "node_type", "enum"),
    ("nodes", {"supports_ship": "maybe"}, "supports_ship", "boolean"),
    ("nodes", {"ship_capacity_units": "-5"}, "ship_capacity_units", "min"),
    ("nodes", {"ship_capacity_orders": "2.5"}, "ship_capacity_orders", "integer"),
    ("nodes", {"processing_days": "1.5"}, "processing_days", "integer"),
    ("nodes", {"handling_cost_per_unit": "-1"}, "handling_cost_per_unit", "min"),
    ("nodes", {"name": ""}, "name", "required"),
    ("products", {"weight_kg": "0"}, "weight_kg", "min"),
    ("products", {"unit_cost": "-2"}, "unit_cost", "min"),
    ("products", {"sku": "SKU 1"}, "sku", "id_format"),
    ("stock", {"node_id": "X-9"}, "node_id", "unknown_node"),
    ("stock", {"sku": "SKU-404"}, "sku", "unknown_sku"),
    ("stock", {"on_hand": "twelve"}, "on_hand", "integer"),
    ("stock", {"reserved": "-1"}, "reserved", "min"),
    ("stock", {"snapshot_at": ""}, "snapshot_at", "required"),
    ("rates", {"service_level": "overnight"}, "service_level", "enum"),
    ("rates", {"max_distance_km": "0"}, "max_distance_km", "min"),
    ("rates", {"transit_days": "2.5"}, "transit_days", "integer"),
    ("lanes", {"node_id": "X-9"}, "node_id", "unknown_node"),
    ("lanes", {"ship_to_zone": ""}, "ship_to_zone", "required"),
    ("lanes", {"cost_per_kg": "-1"}, "cost_per_kg", "min"),
    ("exclusions", {"node_id": "X-9"}, "node_id", "unknown_node"),
    ("exclusions", {"channel": "fax"}, "channel", "enum"),
    ("exclusions", {"node_id": ""}, "node_id", "required"),
]


@pytest.mark.parametrize(("kind", "changes", "column", "rule"), BROKEN)
def test_each_rule_rejects_the_bad_row_and_keeps_the_good_one(
    tmp_path, kind, changes, column, rule
):
    broken = row(kind, **{**_other_key(kind), **changes})
    result = check_rows(tmp_path, kind, [GOOD[kind], broken])
    assert (2, column, rule) in reasons(result)
    assert result.rows_accepted == 1 and result.rows_rejected == 1
    assert result.reconciles


def _other_key(kind: str) -> dict[str, str]:
    """A different key, so the broken row is not also a duplicate key of the good one."""
    return {
        "nodes": {"node_id": "ST-2"},
        "products": {"sku": "SKU-2"},
        "stock": {"snapshot_at": "2025-03-02T04:00:00Z"},
        "rates": {"max_distance_km": "800"},
        "lanes": {"ship_to_zone": "NE"},
        "exclusions": {"sku": "SKU-2"},
        "orders": {"order_id": "ORD-2"},
    }[kind]


def test_every_reason_of_a_row_is_reported_not_only_the_first(tmp_path):
    bad = row("orders", quantity="2.5", channel="fax", customer_email="nope", sku="SKU-404")
    result = check_rows(tmp_path, "orders", [bad])
    assert reasons(result) == {
        (1, "quantity", "integer"),
        (1, "channel", "enum"),
        (1, "customer_email", "email_format"),
        (1, "sku", "unknown_sku"),
    }
    record = result.rejected.row(0, named=True)
    assert {r["rule"] for r in record["reasons"]} == {
        "integer",
        "enum",
        "email_format",
        "unknown_sku",
    }
    assert '"quantity":"2.5"' in record["record"]


def test_problems_quote_the_cell_as_written(tmp_path):
    result = check_rows(tmp_path, "orders", [row("orders", quantity=" 3.5 ")])
    problem = result.problems.row(0, named=True)
    assert problem["value"] == "3.5" and problem["source_file"] == "orders_test.csv"
    assert "whole number" in problem["message"]


def test_integers_accept_a_zero_fraction_and_booleans_and_enums_their_spellings(tmp_path):
    nodes = [
        row(
            "nodes",
            node_id="ST-1",
            ship_capacity_units="40.0",
            supports_ship="YES",
            supports_pickup="0",
            node_type="Store",
        ),
        row("nodes", node_id="ST-2", supports_ship="False", supports_pickup="1"),
        row("nodes", node_id="ST-3", supports_ship="no", supports_pickup="TRUE"),
    ]
    result = check_rows(tmp_path, "nodes", nodes)
    assert result.rows_rejected == 0, result.problems
    staged = result.accepted.sort("node_id")
    assert staged["ship_capacity_units"][0] == 40
    assert staged["supports_ship"].to_list() == [True, False, False]
    assert staged["supports_pickup"].to_list() == [False, True, True]
    assert staged["node_type"][0] == "store"


def test_timestamps_are_iso_8601_and_a_missing_zone_means_utc(tmp_path):
    written = {
        "ORD-1": ("2025-03-03T10:00:00", dt.datetime(2025, 3, 3, 10, tzinfo=UTC)),
        "ORD-2": ("2025-03-03 10:00:00+02:00", dt.datetime(2025, 3, 3, 8, tzinfo=UTC)),
        "ORD-3": ("2025-03-03", dt.datetime(2025, 3, 3, tzinfo=UTC)),
        "ORD-4": (
            "2025-03-03T10:00:00.250-0500",
            dt.datetime(2025, 3, 3, 15, 0, 0, 250000, tzinfo=UTC),
        ),
        "ORD-5": ("2025-03-03T10:00Z", dt.datetime(2025, 3, 3, 10, tzinfo=UTC)),
    }
    rows = [row("orders", order_id=k, ordered_at=v[0]) for k, v in written.items()]
    result = check_rows(tmp_path, "orders", rows)
    assert result.rows_rejected == 0, result.problems
    got = dict(result.accepted.select("order_id", "ordered_at").iter_rows())
    assert got == {k: v[1] for k, v in written.items()}
    assert result.accepted.schema["ordered_at"] == pl.Datetime("us", "UTC")


def test_empty_optional_cells_are_absent_and_defaults_apply(tmp_path):
    stock = check_rows(tmp_path, "stock", [row("stock", safety_stock="")])
    assert stock.accepted["safety_stock"].to_list() == [0]
    pickup = row(
        "orders",
        order_id="ORD-2",
        fulfillment_method="pickup",
        pickup_node_id="ST-1",
        service_level="",
        ship_to_latitude="",
        ship_to_longitude="",
    )
    orders = check_rows(
        tmp_path,
        "orders",
        [row("orders", service_level="", customer_email="", promised_days=""), pickup],
    )
    assert orders.rows_rejected == 0, orders.problems
    staged = orders.accepted.sort("order_id")
    assert staged["service_level"].to_list() == ["standard", "standard"]
    assert staged["customer_email"][0] is None and staged["promised_days"][0] is None


def test_a_zone_alone_is_enough_for_a_ship_line(tmp_path):
    zoned = row("orders", ship_to_zone="MW", ship_to_latitude="", ship_to_longitude="")
    assert check_rows(tmp_path, "orders", [zoned]).rows_rejected == 0


def test_exclusions_empty_filters_mean_any_and_unknown_skus_are_kept(tmp_path):
    rows = [
        row("exclusions", sku="", reason="store closed"),
        row("exclusions", sku="SKU-RECALL", reason="recall pre-listed"),
        row("exclusions", sku="", channel="Marketplace", reason="contract"),
    ]
    result = check_rows(tmp_path, "exclusions", rows)
    assert result.rows_rejected == 0, result.problems
    staged = result.accepted.sort("reason")
    assert staged["sku"].to_list() == [None, "SKU-RECALL", None]
    assert staged["channel"].to_list() == ["marketplace", None, None]


def test_ship_lines_of_an_order_must_agree_and_every_line_is_rejected(tmp_path):
    lines = [
        row("orders", line_no="1"),
        row("orders", line_no="2", ship_to_postal_code="60602"),
        row("orders", line_no="3", fulfillment_method="pickup", pickup_node_id="ST-1"),
        row("orders", order_id="ORD-2"),
    ]
    result = check_rows(tmp_path, "orders", lines)
    assert {(r, c, rule) for r, c, rule in reasons(result)} == {
        (1, "ship_to_postal_code", "ship_to_mismatch"),
        (2, "ship_to_postal_code", "ship_to_mismatch"),
        (3, "ship_to_postal_code", "ship_to_mismatch"),
    }
    assert result.accepted["order_id"].to_list() == ["ORD-2"]


def test_pickup_lines_are_not_compared_with_ship_lines(tmp_path):
    lines = [
        row("orders", line_no="1"),
        row(
            "orders",
            line_no="2",
            fulfillment_method="pickup",
            pickup_node_id="ST-1",
            service_level="express",
            ship_to_postal_code="99999",
        ),
    ]
    assert check_rows(tmp_path, "orders", lines).rows_rejected == 0


def test_an_amended_line_must_agree_with_the_staged_lines_of_its_order(tmp_path):
    first = check_rows(tmp_path, "orders", [row("orders", line_no="1"), row("orders", line_no="2")])
    staged = Reference.from_staging(orders=first.accepted).staged_ship_to
    ref = dataclasses.replace(reference(), staged_ship_to=staged)
    moved = row("orders", line_no="2", ship_to_postal_code="10001")
    result = check_rows(
        tmp_path, "orders", [moved], ref=ref, current=first.accepted, name="orders_b.csv"
    )
    assert (1, "ship_to_postal_code", "ship_to_mismatch") in reasons(result)
    both_moved = [row("orders", line_no=n, ship_to_postal_code="10001") for n in ("1", "2")]
    result = check_rows(
        tmp_path, "orders", both_moved, ref=ref, current=first.accepted, name="orders_c.csv"
    )
    assert result.rows_rejected == 0 and result.amended == 2


def test_cross_file_rules_are_skipped_without_reference(tmp_path):
    result = check_rows(tmp_path, "orders", [row("orders", sku="SKU-404")], ref=Reference())
    assert result.rows_rejected == 0
