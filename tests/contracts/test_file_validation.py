"""Whole-file behaviour: books balance, duplicates and amendments, CSV and Parquet alike."""

from __future__ import annotations

import polars as pl

from contracts.fields import CONTRACT
from contracts.reading import read_partner_file
from contracts.tables import STAGING_SCHEMAS
from contracts.validation import (
    empty_staged,
    merge_into_staging,
    staging_violations,
    validate_file,
)
from tests.contracts.partner_rows import check_rows, reference, row, write_csv

HEADER = [f.name for f in CONTRACT["orders"]]


def test_a_mixed_file_reconciles_row_for_row(tmp_path):
    good = [row("orders", order_id=f"ORD-{i}") for i in range(1, 6)]
    rows = [
        *good,
        row("orders", order_id="ORD-9", quantity="x"),  # rejected
        good[0],  # exact repeat: duplicate
        row("orders", order_id="ORD-7", line_no="1", quantity="1"),  # same key, other content:
        row("orders", order_id="ORD-7", line_no="1", quantity="2"),  # both rejected
    ]
    path = write_csv(tmp_path / "orders_mixed.csv", rows, HEADER)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("ORD-8,1,web\n")  # ragged
    result = validate_file(read_partner_file(path), reference())
    assert (result.rows_read, result.rows_accepted, result.rows_rejected, result.duplicates) == (
        10,
        5,
        4,
        1,
    )
    assert result.reconciles
    assert sorted(result.rejected["row_number"].to_list()) == [6, 8, 9, 10]
    assert result.accepted.columns == [
        *STAGING_SCHEMAS["orders"],
        "source_file",
        "file_sha256",
        "row_number",
    ]
    assert dict(result.accepted.select(list(STAGING_SCHEMAS["orders"])).schema) == dict(
        STAGING_SCHEMAS["orders"]
    )
    dup_rules = result.problems.filter(pl.col("rule") == "duplicate_key")
    assert dup_rules["column"].unique().to_list() == ["order_id,line_no"]
    assert dup_rules["value"].to_list() == ["ORD-7, 1", "ORD-7, 1"]


def test_a_missing_required_column_rejects_every_row(tmp_path):
    header = [c for c in HEADER if c != "sku"]
    result = check_rows_with_header(
        tmp_path, header, [row("orders"), row("orders", order_id="ORD-2")]
    )
    assert result.rows_rejected == 2 and result.rows_accepted == 0
    assert set(result.problems["rule"]) == {"missing_column"}
    assert set(result.problems["column"]) == {"sku"}


def test_a_missing_optional_column_is_fine_and_extra_columns_are_ignored(tmp_path):
    header = [c for c in HEADER if c != "promised_days"] + ["gift_wrap"]
    rows = [{**row("orders"), "gift_wrap": "yes"}]
    result = check_rows_with_header(tmp_path, header, rows)
    assert result.rows_accepted == 1
    assert "gift_wrap" not in result.accepted.columns
    assert result.accepted["promised_days"][0] is None


def check_rows_with_header(tmp_path, header, rows):
    path = write_csv(tmp_path / "orders_h.csv", rows, header)
    return validate_file(read_partner_file(path), reference())


def test_header_only_file_is_clean(tmp_path):
    result = check_rows(tmp_path, "orders", [])
    assert (result.rows_read, result.rows_rejected, result.problems.height) == (0, 0, 0)


def test_exact_repeat_of_a_staged_row_is_a_duplicate_and_a_changed_one_amends(tmp_path):
    first = check_rows(tmp_path, "orders", [row("orders"), row("orders", order_id="ORD-2")])
    staged = merge_into_staging("orders", empty_staged("orders"), first.accepted)
    again = check_rows(
        tmp_path,
        "orders",
        [row("orders"), row("orders", order_id="ORD-2", quantity="5")],
        current=staged,
        name="orders_later.csv",
    )
    assert (again.rows_accepted, again.duplicates, again.amended) == (1, 1, 1)
    merged = merge_into_staging("orders", staged, again.accepted)
    assert merged.height == 2
    latest = merged.filter(pl.col("order_id") == "ORD-2").row(0, named=True)
    assert latest["quantity"] == 5 and latest["source_file"] == "orders_later.csv"


def test_csv_and_parquet_give_the_same_verdict(tmp_path):
    rows = [row("orders"), row("orders", order_id="ORD-2", quantity="2.5", channel="WEB")]
    csv_result = check_rows(tmp_path, "orders", rows)
    parquet = tmp_path / "orders_test.parquet"
    pl.DataFrame(rows, schema=dict.fromkeys(HEADER, pl.String)).with_columns(
        pl.col("ship_to_latitude").cast(pl.Float64)  # a typed column, as Parquet partners send
    ).write_parquet(parquet)
    pq_result = validate_file(read_partner_file(parquet), reference())
    lineage = ("source_file", "file_sha256")  # the two files differ, their verdicts do not
    assert pq_result.accepted.drop(lineage).equals(csv_result.accepted.drop(lineage))
    assert pq_result.problems.drop("source_file").equals(csv_result.problems.drop("source_file"))


def test_staging_violations_catch_a_table_that_breaks_its_promises(tmp_path):
    good = check_rows(tmp_path, "nodes", [row("nodes"), row("nodes", node_id="ST-2")]).accepted
    assert staging_violations("nodes", good).is_empty()
    broken = pl.concat(
        [good, good.head(1).with_columns(pl.lit(-3, pl.Int64).alias("processing_days"))]
    )
    found = staging_violations("nodes", broken)
    assert set(found["column"].drop_nulls()) >= {"processing_days"}
    assert found["rows"].sum() >= 2  # the negative value and the duplicated key
