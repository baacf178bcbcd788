"""Small, valid partner rows per kind and helpers to write and validate them as real files."""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl

from contracts.fields import CONTRACT
from contracts.reading import read_partner_file
from contracts.schemas import Reference
from contracts.validation import FileValidation, validate_file

GOOD: dict[str, dict[str, str]] = {
    "nodes": {
        "node_id": "ST-1",
        "node_type": "store",
        "name": "Chicago store",
        "latitude": "41.88",
        "longitude": "-87.63",
        "ship_capacity_units": "40",
        "ship_capacity_orders": "",
        "supports_ship": "true",
        "supports_pickup": "yes",
        "handling_cost_per_order": "4.5",
        "handling_cost_per_unit": "0.9",
        "processing_days": "0",
    },
    "products": {"sku": "SKU-1", "name": "Trail Backpack", "unit_cost": "21.5", "weight_kg": "0.9"},
    "stock": {
        "node_id": "ST-1",
        "sku": "SKU-1",
        "on_hand": "12",
        "reserved": "2",
        "safety_stock": "1",
        "snapshot_at": "2025-03-03T04:00:00Z",
    },
    "rates": {
        "service_level": "standard",
        "max_distance_km": "400",
        "cost_per_package": "6.1",
        "cost_per_kg": "0.38",
        "transit_days": "2",
    },
    "lanes": {
        "node_id": "DC-1",
        "ship_to_zone": "MW",
        "service_level": "express",
        "cost_per_package": "15",
        "cost_per_kg": "1.1",
        "transit_days": "1",
    },
    "exclusions": {
        "node_id": "ST-1",
        "sku": "SKU-1",
        "customer_id": "",
        "channel": "",
        "reason": "hazmat",
    },
    "orders": {
        "order_id": "ORD-1",
        "line_no": "1",
        "channel": "web",
        "ordered_at": "2025-03-03T10:00:00Z",
        "customer_id": "C-1",
        "customer_email": "c1@example.com",
        "sku": "SKU-1",
        "quantity": "2",
        "unit_price": "49.99",
        "fulfillment_method": "ship",
        "pickup_node_id": "",
        "service_level": "standard",
        "ship_to_latitude": "41.9",
        "ship_to_longitude": "-87.6",
        "ship_to_postal_code": "60601",
        "ship_to_country": "US",
        "ship_to_zone": "",
        "promised_days": "5",
    },
}


def row(kind: str, **changes: str) -> dict[str, str]:
    """A valid row of ``kind`` with some cells changed."""
    return {**GOOD[kind], **changes}


def write_csv(
    path: Path, rows: list[dict[str, str]] | list[list[str]], header: list[str] | None = None
) -> Path:
    """Write rows (dicts, or lists under ``header``) as a partner CSV."""
    if header is None:
        header = list(rows[0]) if rows else []
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for r in rows:
            writer.writerow([r.get(c, "") for c in header] if isinstance(r, dict) else r)
    return path


def reference() -> Reference:
    """Nodes ST-1 (pickup), ST-2 and DC-1 (no pickup); products SKU-1 and SKU-2."""
    return Reference(
        node_ids=pl.Series(["ST-1", "ST-2", "DC-1"]),
        pickup_node_ids=pl.Series(["ST-1"]),
        skus=pl.Series(["SKU-1", "SKU-2"]),
    )


def check_rows(
    tmp_path: Path,
    kind: str,
    rows: list[dict[str, str]],
    ref: Reference | None = None,
    current: pl.DataFrame | None = None,
    name: str | None = None,
) -> FileValidation:
    """Write rows as ``<kind>_test.csv`` and validate them (with the default reference)."""
    path = write_csv(
        tmp_path / (name or f"{kind}_test.csv"), rows, [f.name for f in CONTRACT[kind]]
    )
    return validate_file(read_partner_file(path), ref if ref is not None else reference(), current)


def reasons(result: FileValidation) -> set[tuple[int, str | None, str]]:
    """(row, column, rule) of every problem found."""
    return set(result.problems.select("row_number", "column", "rule").iter_rows())
