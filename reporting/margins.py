"""Margin per filled order line: what the analysts' ``marts.line_margins`` holds."""

from __future__ import annotations

import polars as pl


def line_margins(
    orders: pl.DataFrame, products: pl.DataFrame, allocations: pl.DataFrame
) -> pl.DataFrame:
    """Per allocation row: revenue, cost of goods, its parcel and handling cost, margin."""
    return (
        allocations.select(
            "order_id",
            "line_no",
            "sku",
            "node_id",
            "fulfillment_method",
            "quantity",
            "parcel_cost",
            "handling_cost",
        )
        .join(
            orders.select("order_id", "line_no", "channel", "unit_price"),
            on=["order_id", "line_no"],
            how="left",
        )
        .join(products.select("sku", "unit_cost"), on="sku", how="left")
        .with_columns(
            revenue=pl.col("quantity") * pl.col("unit_price"),
            cost_of_goods=pl.col("quantity") * pl.col("unit_cost"),
        )
        .with_columns(
            gross_margin=pl.col("revenue")
            - pl.col("cost_of_goods")
            - pl.col("parcel_cost")
            - pl.col("handling_cost")
        )
        .sort("order_id", "line_no", "node_id")
    )
