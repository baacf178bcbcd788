"""The outbox as partners see it: files, rows, costs, and the safety of every name and cell."""

from __future__ import annotations

import os
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.results import INSTRUCTION_SCHEMA, INTAKE_SUMMARY_SCHEMA
from fulfillment import outbox as outbox_module
from fulfillment.files import neutralise_formulas, safe_file_stem, unique_filenames
from fulfillment.intake import ACK_SCHEMA
from fulfillment.outbox import (
    SUCCESS,
    OutboxManifest,
    WaveFolder,
    cancel_rows,
    clear_partials,
    clear_report_temps,
    has_report,
    instruction_rows,
    point_latest_report,
    publish_folder,
    publish_report,
)
from optimizers.types import AllocationResult

RUN = "run-0001"


def read_csv(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, schema=INSTRUCTION_SCHEMA)


def publish(
    outbox: Path,
    result: AllocationResult,
    products: pl.DataFrame,
    run_id: str = RUN,
) -> OutboxManifest:
    """A wave's folder for a plan, as the outbox asset writes it."""
    return publish_folder(
        outbox,
        WaveFolder(
            run_id=run_id,
            instructions=instruction_rows(result, products, run_id),
            backorders=result.backorders,
            acknowledgements=pl.DataFrame(schema=ACK_SCHEMA),
            intake_summary=pl.DataFrame(schema={"sha256": pl.String, **INTAKE_SUMMARY_SCHEMA}),
        ),
    )


def test_one_file_pair_per_node_with_the_documented_columns(hand_plan, tmp_path: Path) -> None:
    manifest = publish(tmp_path, hand_plan.result, hand_plan.products)
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
    backorders = pl.read_csv(tmp_path / RUN / "backorders.csv")
    assert backorders.columns == [
        "order_id",
        "line_no",
        "sku",
        "quantity",
        "reason",
        "expected_at",
        "cheapest_node_id",
        "fill_cost",
        "penalty",
    ]
    assert backorders.rows() == [("O3", 1, "B", 1, "no_stock", None, None, None, None)]


def test_pickup_store_receives_the_ship_to_store_parcel(hand_plan, tmp_path: Path) -> None:
    publish(tmp_path, hand_plan.result, hand_plan.products)
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


def test_the_folder_appears_whole_by_one_rename(hand_plan, tmp_path: Path, monkeypatch) -> None:
    renamed: list[tuple[Path, Path]] = []
    real_rename = os.rename

    def spy(src, dst) -> None:
        src, dst = Path(src), Path(dst)
        renamed.append((src, dst))
        assert src.parent == dst.parent == tmp_path  # same folder: same file system
        assert src.name.startswith(".partial-") and (src / SUCCESS).is_file()  # complete
        assert not dst.exists()  # nothing of the wave was visible before
        real_rename(src, dst)

    monkeypatch.setattr(outbox_module.os, "rename", spy)
    manifest = publish(tmp_path, hand_plan.result, hand_plan.products)
    assert [dst.name for _, dst in renamed] == [RUN]
    assert all(f.path.is_file() and f.path.is_relative_to(tmp_path / RUN) for f in manifest.files)
    assert (tmp_path / RUN / SUCCESS).read_text().strip() == RUN
    assert not list(tmp_path.glob(".partial-*"))
    modes = {oct(p.stat().st_mode)[-3:] for p in (tmp_path / RUN).rglob("*") if p.is_file()}
    assert modes == {"644"}  # readable by the partners


def test_a_failed_write_shows_no_folder_and_is_cleared(hand_plan, tmp_path: Path, monkeypatch):
    def broken(src, dst) -> None:
        raise OSError("no space left on device")

    monkeypatch.setattr(outbox_module.os, "rename", broken)
    with pytest.raises(OSError, match="no space left"):
        publish(tmp_path, hand_plan.result, hand_plan.products)
    assert not (tmp_path / RUN).exists()  # a partner sees nothing rather than half
    assert clear_partials(tmp_path) == [RUN] and not list(tmp_path.iterdir())


def test_cancel_rows_stop_units_at_the_node_and_at_the_receiving_store() -> None:
    cancelled = pl.DataFrame(
        {
            "order_id": ["O1", "O2"],
            "line_no": [1, 1],
            "sku": ["A", "B"],
            "node_id": ["DC1", "DC1"],
            "fulfillment_method": ["ship_from_dc", "ship_to_store"],
            "parcel_id": ["O1-DC1-standard-1", "O2-DC1-standard-1"],
            "service_level": ["standard", "standard"],
            "destination_node_id": [None, "S2"],
            "take": [2, 1],
            "available_at": [None, datetime(2025, 3, 5, tzinfo=UTC)],  # the second from supply
        }
    )
    rows = cancel_rows(cancelled, RUN)
    assert rows.columns == list(INSTRUCTION_SCHEMA)
    assert set(rows["fulfillment_method"]) == {"cancel"}
    assert sorted(rows.select("node_id", "order_id", "quantity").rows()) == [
        ("DC1", "O1", 2),
        ("DC1", "O2", 1),
        ("S2", "O2", 1),
    ]
    assert rows.filter(pl.col("order_id") == "O2")["available_at"].null_count() == 0


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
    publish(tmp_path, evil_plan, products)
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
    "node_id", ["../../etc/passwd", ".hidden", "a/b", "a\\b", "..", "x" * 300, "é:1", "CON"]
)
def test_node_ids_become_safe_file_names(node_id: str) -> None:
    name = safe_file_stem(node_id)
    assert re.fullmatch(r"[A-Za-z0-9%_-][A-Za-z0-9._%~-]*", name) and len(name) <= 200
    assert name != node_id
    assert safe_file_stem("DC-01.north_2") == "DC-01.north_2"  # a clean id stays as it is
    with pytest.raises(ValueError, match="empty"):
        safe_file_stem("")


def test_sanitised_names_never_collide(hand_plan, tmp_path: Path) -> None:
    ids = ["a/b", "a_b", "a:b", "A_B", ".a_b", "a\\b"]
    names = unique_filenames(ids)
    assert len({n.lower() for n in names.values()}) == len(ids)
    assert names["A_B"] == "A_B" and names["a_b"].startswith("a_b~")  # "A_B" sorts first
    base = hand_plan.result
    allocations = pl.concat(
        [
            base.allocations.head(1).with_columns(node_id=pl.lit(i), line_no=pl.lit(n))
            for n, i in enumerate(ids, start=1)
        ]
    )
    result = replace(base, allocations=allocations)
    manifest = publish(tmp_path, result, hand_plan.products)
    folder = tmp_path / RUN / "instructions"
    assert len(list(folder.glob("*.csv"))) == len(ids)
    assert all(p.parent == folder for p in folder.rglob("*"))  # nothing escaped the folder
    for file in manifest.files:
        if file.kind == "instructions_csv":
            assert read_csv(file.path)["node_id"].to_list() == [file.node_id]


def test_deterministic_bytes_and_a_rewrite_replaces_the_whole_folder(hand_plan, tmp_path: Path):
    publish(tmp_path, hand_plan.result, hand_plan.products)
    folder = tmp_path / RUN / "instructions"
    first = (folder / "DC1.csv").read_bytes()
    shuffled = replace(hand_plan.result, allocations=hand_plan.result.allocations.reverse())
    publish(tmp_path, shuffled, hand_plan.products)
    assert (folder / "DC1.csv").read_bytes() == first
    publish(tmp_path, hand_plan.baseline, hand_plan.products)  # no work at S1 any more
    assert not (folder / "S1.csv").exists()


def test_the_wave_folder_holds_partner_files_only_and_unsafe_run_ids(hand_plan, tmp_path):
    manifest = publish(tmp_path, hand_plan.result, hand_plan.products)
    top = sorted(p.name for p in (tmp_path / RUN).iterdir())
    assert top == ["_SUCCESS", "backorders.csv", "instructions", "intake"]  # no report
    assert not {f.kind for f in manifest.files} - {
        "instructions_csv",
        "instructions_parquet",
        "backorders",
        "intake",
        "intake_summary",
    }
    for bad in ("../x", "a/b", ".hidden", ""):
        with pytest.raises(ValueError, match="safe folder name"):
            publish(tmp_path, hand_plan.result, hand_plan.products, run_id=bad)


def test_report_pages_are_written_whole_and_latest_names_the_newest(tmp_path: Path) -> None:
    first = publish_report(tmp_path, "2025-03-03_wave1_aaaa1111", "# one", "<html>1</html>")
    assert first.html == tmp_path / "reports" / "2025-03-03_wave1_aaaa1111.html"
    assert first.markdown.read_text() == "# one" and first.html.read_text() == "<html>1</html>"
    point_latest_report(tmp_path, "2025-03-03_wave1_aaaa1111")
    publish_report(tmp_path, "2025-03-03_whatif_bbbb2222", "# two", "<html>2</html>")
    point_latest_report(tmp_path, "2025-03-03_whatif_bbbb2222")
    assert (tmp_path / "reports" / "LATEST").read_text() == "2025-03-03_whatif_bbbb2222.html\n"
    assert has_report(tmp_path, "2025-03-03_wave1_aaaa1111")
    assert not has_report(tmp_path, "2025-03-03_wave2_cccc3333")
    (tmp_path / "reports" / ".x.html.123.tmp").write_text("half")  # a killed write's temp
    assert clear_report_temps(tmp_path) == 1
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == [
        "2025-03-03_wave1_aaaa1111.html", "2025-03-03_wave1_aaaa1111.md",
        "2025-03-03_whatif_bbbb2222.html", "2025-03-03_whatif_bbbb2222.md", "LATEST",
    ]  # fmt: skip
    with pytest.raises(ValueError, match="safe file name"):
        publish_report(tmp_path, "../escape", "#", "<html></html>")
