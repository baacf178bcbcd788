"""Independent checks of a warehouse and an outbox after any sequence of waves.

They read the partner-facing outbox files and the warehouse's tables with plain SQL, and
share no code with the product: what they assert is the design's contract for waves.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

LINE = ["order_id", "line_no"]
FILLS = ("ship_from_dc", "ship_from_store", "pickup_in_store", "ship_to_store")
TEXT = {"order_id": pl.String, "sku": pl.String, "node_id": pl.String, "parcel_id": pl.String}


def query(warehouse: Path, sql: str, params: list | None = None) -> pl.DataFrame:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.sql(sql, params=params).pl()


def published_folders(outbox: Path) -> list[Path]:
    """Wave folders with their _SUCCESS, oldest first."""
    done = [p.parent for p in outbox.glob("*/_SUCCESS")]
    return sorted(done, key=lambda p: (p / "_SUCCESS").stat().st_mtime_ns)


def outbox_rows(outbox: Path) -> pl.DataFrame:
    """Every instruction row of every published wave folder (with the folder's name)."""
    frames = [
        pl.read_csv(f, schema_overrides=TEXT).with_columns(folder=pl.lit(folder.name))
        for folder in published_folders(outbox)
        for f in sorted((folder / "instructions").glob("*.csv"))
    ]
    return pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()


def identity_breaks(warehouse: Path) -> pl.DataFrame:
    """Lines whose units do not add up (the design's identity)."""
    return query(
        warehouse,
        "SELECT * FROM plan.line_status WHERE ordered <> cancelled + shipped + instructed_open"
        " + open OR least(cancelled, shipped, instructed_open, open) < 0",
    )


def net_instructed(outbox: Path) -> pl.DataFrame:
    """Per line: units the outbox told nodes to fill, less the units it told those nodes to
    stop (a pickup store's cancel of a parcel it was to receive is not a fill stopped)."""
    rows = outbox_rows(outbox)
    if rows.is_empty():
        return pl.DataFrame(schema={"order_id": pl.String, "line_no": pl.Int64, "net": pl.Int64})
    at_node = [*LINE, "node_id"]
    fills = (
        rows.filter(pl.col("fulfillment_method").is_in(FILLS))
        .group_by(at_node)
        .agg(filled=pl.col("quantity").sum())
    )
    stops = (
        rows.filter(pl.col("fulfillment_method") == "cancel")
        .group_by(at_node)
        .agg(stopped=pl.col("quantity").sum())
    )
    per_node = fills.join(stops, on=at_node, how="left").with_columns(
        pl.col("stopped").fill_null(0)
    )
    return per_node.group_by(LINE).agg(net=(pl.col("filled") - pl.col("stopped")).sum())


def over_instructed(warehouse: Path, outbox: Path) -> pl.DataFrame:
    """Lines the outbox holds more instructed units for than were ordered and not cancelled
    or rejected (no line's units may be instructed twice)."""
    status = query(warehouse, "SELECT order_id, line_no, ordered, cancelled FROM plan.line_status")
    rejected = query(
        warehouse,
        "SELECT order_id, line_no, sum(rejected) AS rejected FROM plan.commitments GROUP BY ALL",
    )
    return (
        net_instructed(outbox)
        .join(status, on=LINE, how="left")
        .join(rejected, on=LINE, how="left")
        .with_columns(pl.col("rejected").fill_null(0))
        .filter(pl.col("net") - pl.col("rejected") > pl.col("ordered") - pl.col("cancelled"))
    )


def over_promised(warehouse: Path) -> pl.DataFrame:
    """Node x sku whose open commitments exceed what the newest snapshot allows plus the
    supply no snapshot covers yet (promised stock and supply together, never twice)."""
    return query(
        warehouse,
        """
        WITH newest AS (
            SELECT node_id, sku, snapshot_at,
                   on_hand - reserved - coalesce(safety_stock, 0) AS free
            FROM staging.stock
            QUALIFY snapshot_at = max(snapshot_at) OVER (PARTITION BY node_id, sku)),
        coming AS (
            SELECT s.node_id, s.sku, sum(s.quantity) AS coming
            FROM staging.supply s LEFT JOIN newest n USING (node_id, sku)
            WHERE n.snapshot_at IS NULL OR n.snapshot_at < s.expected_at
            GROUP BY ALL),
        held AS (SELECT node_id, sku, sum(open) AS open FROM plan.commitments GROUP BY ALL)
        SELECT h.*, n.free, c.coming FROM held h
        LEFT JOIN newest n USING (node_id, sku) LEFT JOIN coming c USING (node_id, sku)
        WHERE h.open > coalesce(n.free, 0) + coalesce(c.coming, 0)
        """,
    )
