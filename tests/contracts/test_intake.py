"""A batch of files without a warehouse: contract order, cross-file reference, exit codes."""

from __future__ import annotations

from contracts.intake import validate_paths
from tests.contracts.partner_rows import row, write_csv


def test_reference_files_in_the_batch_feed_the_cross_file_rules(tmp_path):
    orders = write_csv(
        tmp_path / "orders_a.csv", [row("orders"), row("orders", order_id="O-2", sku="SKU-9")]
    )
    products = write_csv(tmp_path / "products.csv", [row("products")])
    report = validate_paths([orders, products])  # order given does not matter
    assert [f.kind for f in report.files] == ["products", "orders"]
    verdict = report.files[1].validation
    assert verdict.rows_accepted == 1
    assert verdict.problems.select("column", "rule").rows() == [("sku", "unknown_sku")]
    assert report.notes == ["no nodes file given: unknown-node and pickup-support checks skipped"]
    assert report.exit_code == 1


def test_later_files_amend_earlier_ones_in_name_order(tmp_path):
    first = write_csv(tmp_path / "orders_1.csv", [row("orders")])
    second = write_csv(tmp_path / "orders_2.csv", [row("orders", quantity="7"), row("orders")])
    report = validate_paths([second, first])
    amending = report.files[1].validation
    assert report.files[1].path == second
    assert (amending.rows_accepted, amending.amended, amending.rows_rejected) == (0, 0, 2)
    third = write_csv(tmp_path / "orders_3.csv", [row("orders", quantity="7")])
    report = validate_paths([first, third])
    assert report.files[1].validation.amended == 1 and report.exit_code == 0


def test_unreadable_and_unknown_files_mean_exit_2(tmp_path):
    (tmp_path / "stock.csv").write_bytes(b"")
    (tmp_path / "inventory.csv").write_text("a\n1\n", encoding="utf-8")
    good = write_csv(tmp_path / "products.csv", [row("products")])
    report = validate_paths(sorted(tmp_path.iterdir()))
    assert {f.path.name: f.status for f in report.files} == {
        "products.csv": "ok",
        "stock.csv": "unreadable",
        "inventory.csv": "unknown_kind",
    }
    assert report.exit_code == 2
    assert validate_paths([good]).exit_code == 0
