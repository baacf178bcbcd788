"""The outbox as partners see it: files, rows, costs, and the safety of every name and cell."""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fulfillment import files as files_module
from fulfillment.files import neutralise_formulas, safe_filename, unique_filenames
from fulfillment.outbox import (
    INSTRUCTION_SCHEMA,
    instruction_rows,
    write_backorders,
    write_instructions,
    write_reports,
)

RUN = "run-0001"


def read_csv(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, schema=INSTRUCTION_SCHEMA)


def test_one_file_pair_per_node_with_the_documented_columns(hand_plan, tmp_path: Path) -> None:
    manifest = write_instructions(tmp_path, RUN, hand_plan.result, hand_plan.products)
    folder = tmp_path / RUN / "instructions"
    assert sorted(p.name for p in folder.iterdir()) == [
        "DC1.csv",
        "DC1.parquet",
        "S1.csv",
        "S1.parquet",
        "S2.csv",
        "S2.parquet",
    ]
    dc = read_csv(folder / "DC1.csv")
    assert dc.columns == list(INSTRUCTION_SCHEMA)
    assert dc["order_id"].to_list() == ["O1", "O2", "O3"]
    assert set(dc["run_id"]) == {RUN} and set(dc["node_id"]) == {"DC1"}
    assert pl.read_parquet(folder / "DC1.parquet").equals(dc)
    assert manifest.rows_by_node() == {"DC1": 3, "S1": 1, "S2": 2}
    assert manifest.as_metadata()["instruction_rows"] == 6
    write_backorders(tmp_path, RUN, hand_plan.result)
    backorders = pl.read_csv(tmp_path / RUN / "backorders.csv")
    assert backorders.columns == ["order_id", "line_no", "sku", "quantity", "reason"]
    assert backorders.rows() == [("O3", 1, "B", 1, "no_stock")]


def test_pickup_store_receives_the_ship_to_store_parcel(hand_plan, tmp_path: Path) -> None:
    write_instructions(tmp_path, RUN, hand_plan.result, hand_plan.products)
    folder = tmp_path / RUN / "instructions"
    store = read_csv(folder / "S2.csv")
    assert store["fulfillment_method"].to_list() == ["pickup_in_store", "receive_for_pickup"]
    received = store.row(1, named=True)
    source = read_csv(folder / "DC1.csv").filter(pl.col("fulfillment_method") == "ship_to_store")
    sent = source.row(0, named=True)
    key = ("order_id", "line_no", "sku", "quantity", "parcel_id")
    assert (
        tuple(received[k] for k in key)
        == tuple(sent[k] for k in key)
        == (
            "O2",
            1,
            "A",
            2,
            "P3",
        )
    )
    assert received["node_id"] == "S2" and received["parcel_cost"] == 0.0


def test_parcel_shares_add_up_to_the_parcel_cost(hand_plan) -> None:
    rows = instruction_rows(hand_plan.baseline, hand_plan.products, RUN)
    q1 = rows.filter(
        pl.col("parcel_id") == "Q1", pl.col("fulfillment_method") != "receive_for_pickup"
    )
    # Q1 costs 8: 2 x A (1 kg) and 1 x B (2 kg) weigh the same, so 4 + 4
    assert q1["parcel_cost"].to_list() == [4.0, 4.0]
    per_parcel = (
        rows.filter(pl.col("fulfillment_method") != "receive_for_pickup")
        .group_by("parcel_id")
        .agg(pl.col("parcel_cost").sum())
        .drop_nulls("parcel_id")
    )
    costs = dict(hand_plan.baseline.parcels.select("parcel_id", "cost").iter_rows())
    for parcel_id, total in per_parcel.iter_rows():
        assert total == pytest.approx(costs[parcel_id], abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    cost=st.floats(0, 500, allow_nan=False),
    lines=st.lists(
        st.tuples(st.integers(1, 50), st.sampled_from(["A", "B", "C"])), min_size=1, max_size=8
    ),
)
def test_shares_sum_to_cost_for_any_parcel(
    hand_plan, cost: float, lines: list[tuple[int, str]]
) -> None:
    products = pl.DataFrame(
        {
            "sku": ["A", "B", "C"],
            "name": ["a", "b", "c"],
            "unit_cost": [1.0, 1.0, 1.0],
            "weight_kg": [0.3, 1.7, 12.05],
        }
    )
    base = hand_plan.result
    template = base.allocations.row(0, named=True)
    allocations = pl.DataFrame(
        [{**template, "line_no": i + 1, "quantity": q, "sku": s} for i, (q, s) in enumerate(lines)],
        schema=base.allocations.schema,
    )
    parcels = base.parcels.filter(pl.col("parcel_id") == "P1").with_columns(cost=pl.lit(cost))
    rows = instruction_rows(replace(base, allocations=allocations, parcels=parcels), products, RUN)
    assert rows["parcel_cost"].sum() == pytest.approx(cost, abs=1e-9)
    assert rows["parcel_cost"].min() >= -1e-9
    weights = rows["quantity"] * rows["sku"].replace_strict({"A": 0.3, "B": 1.7, "C": 12.05})
    expected = cost * weights / weights.sum()
    assert rows["parcel_cost"].to_list() == pytest.approx(expected.to_list(), abs=1e-9)


def test_writes_are_atomic_via_os_replace(hand_plan, tmp_path: Path, monkeypatch) -> None:
    replaced: list[tuple[str, str]] = []
    real_replace = os.replace

    def spy(src, dst) -> None:
        replaced.append((str(src), str(dst)))
        assert Path(src).parent == Path(dst).parent  # same folder: same file system
        assert Path(src).name.startswith(".") and str(src).endswith(".tmp")
        real_replace(src, dst)

    monkeypatch.setattr(files_module.os, "replace", spy)
    manifest = write_instructions(tmp_path, RUN, hand_plan.result, hand_plan.products)
    manifest_reports = write_reports(tmp_path, RUN, "# md", "<html></html>")
    manifest_backorders = write_backorders(tmp_path, RUN, hand_plan.result)
    files = manifest.files + manifest_reports.files + manifest_backorders.files
    written = {str(f.path) for f in files}
    assert {dst for _, dst in replaced} == written
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith(".") or p.suffix == ".tmp"]


def test_failed_write_leaves_old_file_and_no_temp(tmp_path: Path, monkeypatch) -> None:
    write_reports(tmp_path, RUN, "old", "<p>old</p>")

    def broken(src, dst) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(files_module.os, "replace", broken)
    with pytest.raises(OSError, match="disk full"):
        write_reports(tmp_path, RUN, "new", "<p>new</p>")
    assert (tmp_path / RUN / "kpi_report.md").read_text() == "old"
    assert sorted(p.name for p in (tmp_path / RUN).iterdir()) == [
        "kpi_report.html",
        "kpi_report.md",
    ]


def test_csv_cells_cannot_run_as_formulas(hand_plan, tmp_path: Path) -> None:
    result = hand_plan.result
    evil = result.allocations.with_columns(
        sku=pl.Series(['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tcmd"]),
        service_level=pl.lit("\rstandard"),
    )
    products = pl.DataFrame(
        {"sku": evil["sku"], "weight_kg": [1.0] * 5},
        schema={"sku": pl.String, "weight_kg": pl.Float64},
    )
    backorders = result.backorders.with_columns(reason=pl.lit("=1+1"))
    evil_plan = replace(result, allocations=evil, backorders=backorders)
    write_instructions(tmp_path, RUN, evil_plan, products)
    write_backorders(tmp_path, RUN, evil_plan)
    text = "".join(p.read_text() for p in (tmp_path / RUN).rglob("*.csv"))
    cells = [c.strip('"') for line in text.splitlines() for c in line.split(",")]
    assert not [c for c in cells if c[:1] in {"=", "+", "-", "@", "\t", "\r"}]
    assert "'=HYPERLINK" in text and "'@SUM(A1)" in text and "'=1+1" in text
    parquet = pl.read_parquet(tmp_path / RUN / "instructions" / "DC1.parquet")
    assert "+1" not in parquet["sku"].to_list()  # DC1 holds rows 1, 4, 5
    assert parquet["sku"][0] == '=HYPERLINK("http://x")'  # Parquet keeps the true value


def test_numbers_are_never_prefixed() -> None:
    frame = pl.DataFrame({"n": [-1, 2], "x": [-0.5, 1.5], "t": ["-1", "ok"]})
    out = neutralise_formulas(frame)
    assert out["n"].to_list() == [-1, 2] and out["x"].to_list() == [-0.5, 1.5]
    assert out["t"].to_list() == ["'-1", "ok"]


@pytest.mark.parametrize(
    "node_id", ["../../etc/passwd", ".hidden", "a/b", "a\\b", "..", "", "x" * 300, "é:1"]
)
def test_node_ids_become_safe_file_names(node_id: str) -> None:
    name = safe_filename(node_id)
    assert re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]*", name) and len(name) <= 120
    assert name != node_id
    assert safe_filename("DC-01.north_2") == "DC-01.north_2"  # a clean id stays as it is


def test_sanitised_names_never_collide(hand_plan, tmp_path: Path) -> None:
    ids = ["a/b", "a_b", "a:b", "A_B", ".a_b", "a\\b"]
    names = unique_filenames(ids)
    assert len({n.lower() for n in names.values()}) == len(ids)
    assert names["A_B"] == "A_B" and names["a_b"].startswith("a_b-")  # "A_B" sorts first
    base = hand_plan.result
    allocations = pl.concat(
        [
            base.allocations.head(1).with_columns(node_id=pl.lit(i), line_no=pl.lit(n))
            for n, i in enumerate(ids, start=1)
        ]
    )
    result = replace(base, allocations=allocations)
    manifest = write_instructions(tmp_path, RUN, result, hand_plan.products)
    folder = tmp_path / RUN / "instructions"
    assert len(list(folder.glob("*.csv"))) == len(ids)
    assert all(p.parent == folder for p in folder.rglob("*"))  # nothing escaped the folder
    for file in manifest.files:
        if file.kind == "instructions_csv":
            assert read_csv(file.path)["node_id"].to_list() == [file.node_id]


def test_deterministic_bytes_empty_nodes_and_stale_files(hand_plan, tmp_path: Path) -> None:
    write_instructions(tmp_path, RUN, hand_plan.result, hand_plan.products)
    folder = tmp_path / RUN / "instructions"
    first = (folder / "DC1.csv").read_bytes()
    shuffled = replace(hand_plan.result, allocations=hand_plan.result.allocations.reverse())
    write_instructions(tmp_path, RUN, shuffled, hand_plan.products, node_ids=["DC9"])
    assert (folder / "DC1.csv").read_bytes() == first
    assert read_csv(folder / "DC9.csv").height == 0  # a node without work gets a header
    write_instructions(
        tmp_path, RUN, hand_plan.baseline, hand_plan.products
    )  # no work at S1 any more
    assert not (folder / "S1.csv").exists() and not (folder / "DC9.csv").exists()


def test_reports_and_unsafe_run_ids(tmp_path: Path) -> None:
    manifest = write_reports(tmp_path, RUN, "# report", "<html>r</html>")
    assert (tmp_path / RUN / "kpi_report.md").read_text() == "# report"
    assert (tmp_path / RUN / "kpi_report.html").read_text() == "<html>r</html>"
    assert [f.kind for f in manifest.files] == ["report_md", "report_html"]
    for bad in ("../x", "a/b", ".hidden", ""):
        with pytest.raises(ValueError, match="safe folder name"):
            write_reports(tmp_path, bad, "", "")
