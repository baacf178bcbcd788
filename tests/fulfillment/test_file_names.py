"""Outbox file names every partner can open: Windows' rules and POSIX's, reversible, unique."""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote_to_bytes

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.results import INSTRUCTION_SCHEMA, INTAKE_SUMMARY_SCHEMA
from fulfillment.files import safe_file_stem, unique_filenames
from fulfillment.intake import ACK_SCHEMA
from fulfillment.outbox import WaveFolder, instruction_rows, publish_folder

RUN = "run-0001"
NODE_ID = r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}"  # the contract's node id
DEVICES = {"CON", "PRN", "AUX", "NUL"} | {f"{p}{n}" for p in ("COM", "LPT") for n in range(10)}
# Any file name a POSIX file system can hold, as Python hands it over (bytes that are not
# UTF-8 as surrogate escapes), and any Unicode text.
FILE_NAMES = st.one_of(
    st.binary(min_size=1, max_size=80).map(lambda b: b.decode("utf-8", "surrogateescape")),
    st.text(min_size=1, max_size=80),
)


def decode(stem: str) -> str:
    return unquote_to_bytes(stem).decode("utf-8", "surrogateescape")


def windows_accepts(name: str) -> bool:
    """Win32 naming rules: no <>:"/\\|?* or control characters, no trailing dot or space, no
    device name (also with an extension), at most 255 characters."""
    return (
        not re.search(r'[<>:"/\\|?*\x00-\x1f]', name)
        and not name.endswith((".", " "))
        and name.split(".", 1)[0].rstrip(" ").upper() not in DEVICES
        and len(name) <= 255
    )


def posix_accepts(name: str) -> bool:
    """A plain, visible file: no slash or NUL, not ``.``/``..`` nor hidden, at most 255 bytes."""
    return "/" not in name and "\x00" not in name and not name.startswith(".") and len(name) < 256


@pytest.mark.parametrize(
    ("name", "stem"),
    [
        ("CON", "%43ON"),
        ("con.txt", "%63on.txt"),
        ("A:B", "A%3AB"),
        ("nul", "%6Eul"),
        ("Com1.log", "%43om1.log"),
        ("LPT9", "%4CPT9"),
        ("CONSOLE", "CONSOLE"),  # not a device
        ("COM10", "COM10"),
        ("DC-01.north_2", "DC-01.north_2"),  # a clean id stays as it is
        ("ST-001.", "ST-001%2E"),
        ("50% off", "50%25%20off"),
        ("a/b\\c", "a%2Fb%5Cc"),
        ("..", "%2E%2E"),
        (".hidden", "%2Ehidden"),
        ("é", "%C3%A9"),
        ("orders\udcff.csv", "orders%FF.csv"),  # a byte that is not UTF-8
    ],
)
def test_the_mapping(name: str, stem: str) -> None:
    assert safe_file_stem(name) == stem
    assert decode(stem) == name


def test_long_names_are_cut_and_hashed_apart() -> None:
    first, second = "x" * 300 + "1", "x" * 300 + "2"
    stems = [safe_file_stem(first), safe_file_stem(second)]
    assert stems[0] != stems[1] and all(len(s.encode()) == 200 for s in stems)
    assert stems[0] == "x" * 187 + "~" + hashlib.sha256(first.encode()).hexdigest()[:12]
    escaped = safe_file_stem("é" * 100)  # 600 bytes encoded: the cut never splits a %XX
    assert len(escaped) <= 200 and re.fullmatch(r"(%C3%A9)+~[0-9a-f]{12}", escaped)
    assert safe_file_stem("a" * 200) == "a" * 200  # 200 bytes still fit


@settings(max_examples=300, deadline=None)
@given(name=FILE_NAMES)
def test_every_name_becomes_a_file_name_both_systems_open(name: str) -> None:
    stem = safe_file_stem(name)
    assert re.fullmatch(r"[A-Za-z0-9._%~-]+", stem) and len(stem) <= 200
    for suffix in ("", ".csv", ".parquet"):
        assert windows_accepts(stem + suffix) and posix_accepts(stem + suffix)
    if "~" not in stem:  # only names too long to keep are hashed
        assert decode(stem) == name


@settings(max_examples=200, deadline=None)
@given(ids=st.sets(st.from_regex(NODE_ID, fullmatch=True), min_size=2, max_size=40))
def test_node_ids_map_back_and_never_collide(ids: set[str]) -> None:
    stems = {node_id: safe_file_stem(node_id) for node_id in ids}
    assert all(decode(stem) == node_id for node_id, stem in stems.items())
    assert len(set(stems.values())) == len(ids)
    unique = unique_filenames(list(ids))  # also on case-insensitive file systems
    assert len({s.lower() for s in unique.values()}) == len(ids)


@settings(max_examples=200, deadline=None)
@given(names=st.sets(FILE_NAMES, min_size=2, max_size=20))
def test_file_names_never_collide(names: set[str]) -> None:
    assert len({safe_file_stem(n) for n in names}) == len(names)


def test_names_differing_in_case_get_distinct_files() -> None:
    stems = unique_filenames(["dc1", "DC1", "Dc1"], taken=["summary"])
    assert stems["DC1"] == "DC1"  # the first in sorted order keeps its name
    assert len({s.lower() for s in stems.values()}) == 3
    assert stems["dc1"].startswith("dc1~") and stems["Dc1"].startswith("Dc1~")
    assert unique_filenames(["SUMMARY"], taken=["summary"])["SUMMARY"].startswith("SUMMARY~")


def test_a_real_outbox_for_a_node_called_con(hand_plan, tmp_path: Path) -> None:
    plan = hand_plan.result
    allocations = plan.allocations.with_columns(
        node_id=pl.when(pl.col("node_id") == "DC1").then(pl.lit("CON")).otherwise("node_id")
    )
    ack_files = ["CON.csv", "orders:web.csv", "summary"]
    summary = pl.DataFrame(
        {
            "sha256": ["a" * 64, "b" * 64, "c" * 64],
            "file_name": ack_files,
            "kind": [None, "orders", None],
            "status": ["unknown_kind", "ok", "unknown_kind"],
            "rows_read": [None, 3, None],
            "rows_accepted": [None, 3, None],
            "rows_rejected": [None, 0, None],
            "rows_duplicate": [None, 0, None],
        },
        schema={"sha256": pl.String, **INTAKE_SUMMARY_SCHEMA},
    )
    acks = summary.select(
        "file_name",
        "sha256",
        pl.lit(None, pl.Int64).alias("row_number"),
        pl.lit("file").alias("status"),
        pl.col("status").alias("rule"),
        pl.lit(None, pl.String).alias("column"),
        pl.col("file_name").alias("message"),
    ).cast(ACK_SCHEMA)
    manifest = publish_folder(
        tmp_path,
        WaveFolder(
            run_id=RUN,
            instructions=instruction_rows(
                replace(plan, allocations=allocations), hand_plan.products, RUN
            ),
            backorders=plan.backorders,
            acknowledgements=acks,
            intake_summary=summary,
        ),
    )
    folder = tmp_path / RUN
    names = sorted(p.name for p in (folder / "instructions").iterdir())
    assert names == ["%43ON.csv", "%43ON.parquet", "S1.csv", "S1.parquet", "S2.csv", "S2.parquet"]
    rows = pl.read_csv(folder / "instructions" / "%43ON.csv", schema=INSTRUCTION_SCHEMA)
    assert set(rows["node_id"]) == {"CON"} and manifest.rows_by_node()["CON"] == rows.height
    intake = folder / "intake"
    assert (intake / "%43ON.csv.csv").is_file() and (intake / "orders%3Aweb.csv.csv").is_file()
    assert pl.read_csv(intake / "summary.csv")["file_name"].to_list() == ack_files  # not replaced
    reply = [p for p in intake.iterdir() if p.name.startswith("summary~")]
    assert len(reply) == 1 and pl.read_csv(reply[0])["message"].to_list() == ["summary"]
    assert all(windows_accepts(p.name) for p in folder.rglob("*"))
