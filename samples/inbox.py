"""Writing a generated inbox as partner files (CSV text or Parquet), plus a file of bad rows.

The file names follow the contract's prefixes; orders are split per channel as channels
would send them, and ``orders_marketplace_errors`` sorts after ``orders_marketplace`` so its
repeat is a duplicate and its amendment really amends.
"""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Every column as the text a partner's CSV holds (ISO timestamps, true/false, '' = absent)."""
    exprs = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if isinstance(dtype, pl.Datetime):
            col = col.dt.convert_time_zone("UTC").dt.to_string(TIMESTAMP_FORMAT)
        exprs.append(col.cast(pl.String).alias(name))
    return frame.select(exprs)


def write_inbox(frames: dict[str, pl.DataFrame], out: Path, fmt: str = "csv") -> list[Path]:
    """Write every kind (orders per channel) and the error file; returns the paths written."""
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"unknown format {fmt!r}: use csv or parquet")
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, pl.DataFrame] = {k: v for k, v in frames.items() if k != "orders"}
    orders = frames["orders"]
    for channel in sorted(orders["channel"].unique().to_list()):
        files[f"orders_{channel}"] = orders.filter(pl.col("channel") == channel)
    written = [
        write_frame(frame, out / f"{name}.{fmt}", fmt) for name, frame in sorted(files.items())
    ]
    header, rows = marketplace_error_rows(frames)
    errors = out / f"orders_marketplace_errors.{fmt}"
    if fmt == "csv":
        with open(errors, "w", newline="", encoding="utf-8") as handle:
            csv.writer(handle, lineterminator="\n").writerows([header, *rows])
    else:  # Parquet cannot hold a ragged record: the others go in as text
        well_formed = [r for r in rows if len(r) == len(header)]
        pl.DataFrame(well_formed, schema=header, orient="row").write_parquet(errors)
    return [*written, errors]


def write_frame(frame: pl.DataFrame, path: Path, fmt: str = "csv") -> Path:
    """One frame as a partner file: CSV text (ISO timestamps, true/false) or Parquet."""
    if fmt == "csv":
        as_text(frame).write_csv(path, line_terminator="\n")
    else:
        frame.write_parquet(path)
    return path


def marketplace_error_rows(frames: dict[str, pl.DataFrame]) -> tuple[list[str], list[list[str]]]:
    """A small orders file a careless channel might send: one row per rule, some good rows.

    It repeats one ingested line exactly (a duplicate), amends another (accepted), and breaks
    rules: integer, unknown sku, enum, required, pickup node without pickup, e-mail, min,
    ship-to disagreement, ragged record, duplicate key, timestamp.
    """
    text = as_text(frames["orders"])
    header = text.columns
    ship = text.filter(
        (pl.col("fulfillment_method") == "ship") & pl.col("ship_to_latitude").is_not_null()
    )
    market = ship.filter(pl.col("channel") == "marketplace")
    base_rows = (market if market.height >= 2 else ship).rows(named=True)
    repeat, amend = base_rows[0], base_rows[1]
    no_pickup = frames["nodes"].filter(
        (pl.col("node_type") == "store") & ~pl.col("supports_pickup")
    )["node_id"][0]

    def new(order: int, line: int = 1, **changes: str) -> list[str]:
        row = {**repeat, "order_id": f"ORD-E{order:05d}", "line_no": str(line), **changes}
        return [row[c] or "" for c in header]

    pickup = {
        "fulfillment_method": "pickup",
        "pickup_node_id": no_pickup,
        "service_level": "",
        "ship_to_latitude": "",
        "ship_to_longitude": "",
        "ship_to_postal_code": "",
        "ship_to_country": "",
        "ship_to_zone": "",
    }
    rows = [
        [repeat[c] or "" for c in header],  # exact repeat of an ingested line: duplicate
        [({**amend, "quantity": str(int(amend["quantity"]) + 1)})[c] or "" for c in header],
        new(1, quantity="2.5"),
        new(2, sku="SKU-99998"),
        new(3, channel="fax"),
        new(4, customer_id=""),
        new(5, **pickup),
        new(6, customer_email="not-an-email"),
        new(7, unit_price="-4.99"),
        new(8, 1, ship_to_postal_code="10001"),
        new(8, 2, ship_to_postal_code="94103"),
        new(9)[:6],  # ragged: the record stops after six fields
        new(10, 1, quantity="1"),
        new(10, 1, quantity="3"),
        new(11, ordered_at="03/01/2025 10:00"),
        new(12, channel="Marketplace", service_level="EXPRESS"),  # fine: enums ignore case
    ]
    return header, rows
