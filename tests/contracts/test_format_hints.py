"""A file in another delimiter or encoding says so: what it looks like and what the contract
asks, with file, row and rule named, and every row still accounted for."""

from __future__ import annotations

from pathlib import Path

from contracts.intake import BatchReport, validate_paths
from pipelines.cli.validate import validation_lines

PRODUCTS = ["sku", "name", "unit_cost", "weight_kg"]
ROWS = [["SKU-1", "Köln mug", "2.5", "0.4"], ["SKU-2", "Plate", "1", "0.7"]]


def _text(delimiter: str) -> str:
    return "".join(delimiter.join(r) + "\n" for r in [PRODUCTS, *ROWS])


def _validate(path: Path) -> tuple[list[str], BatchReport]:
    report = validate_paths([path])
    return validation_lines(report), report


def test_a_semicolon_file_says_it_looks_semicolon_separated(tmp_path: Path) -> None:
    path = tmp_path / "products_semicolon.csv"
    path.write_text(_text(";"), encoding="utf-8")
    lines, report = _validate(path)
    hint = (
        "the header looks semicolon-separated (4 columns when split on ';'); "
        "partner files must be comma-separated"
    )
    expected = f"  {path}: every row: column sku: rule missing_column: the file has no sku column"
    line = next(x for x in lines if x.startswith(expected))
    assert hint in line
    (file,) = report.files
    assert file.status == "rejected" and report.exit_code == 1
    v = file.validation
    assert v is not None
    assert (v.rows_read, v.rows_rejected, v.rows_accepted, v.duplicates) == (2, 2, 0, 0)
    assert v.reconciles  # nothing lost: every row is in quarantine with the hint
    messages = v.rejected["reasons"].explode().struct.field("message")
    assert messages.str.contains("semicolon-separated").all()  # each row says why, in quarantine


def test_a_tab_file_says_it_looks_tab_separated(tmp_path: Path) -> None:
    path = tmp_path / "products_tab.csv"
    path.write_text(_text("\t"), encoding="utf-8")
    lines, report = _validate(path)
    text = "\n".join(lines)
    assert "rule missing_column" in text
    assert "the header looks tab-separated (4 columns when split on '\\t')" in text
    assert "partner files must be comma-separated" in text
    v = report.files[0].validation
    assert v is not None and v.reconciles


def test_a_comma_file_with_a_missing_column_gets_no_delimiter_hint(tmp_path: Path) -> None:
    path = tmp_path / "products_short.csv"
    path.write_text("sku,name;note,unit_cost\nSKU-1,a;b,1\n", encoding="utf-8")
    lines, _ = _validate(path)
    text = "\n".join(lines)
    assert "rule missing_column: the file has no weight_kg column (required)" in text
    assert "separated" not in text


def test_a_latin1_file_says_it_looks_latin1(tmp_path: Path) -> None:
    path = tmp_path / "products_latin1.csv"
    path.write_bytes(_text(",").encode("latin-1"))
    lines, report = _validate(path)
    assert report.files[0].status == "unreadable" and report.exit_code == 2
    assert lines[0] == (
        f"{path}: UNREADABLE: not UTF-8 (invalid byte at offset 36, line 2); it looks like "
        "Latin-1 / Windows-1252 (byte 0xF6 is 'ö' there); partner files must be UTF-8 "
        "(save or export the file as UTF-8)"
    )


def test_a_utf16_file_says_it_looks_utf16(tmp_path: Path) -> None:
    path = tmp_path / "products_utf16.csv"
    path.write_bytes(_text(",").encode("utf-16"))  # with its byte-order mark
    lines, report = _validate(path)
    assert report.files[0].status == "unreadable" and report.exit_code == 2
    assert f"{path}: UNREADABLE: not UTF-8 (invalid byte at offset 0, line 1)" in lines[0]
    assert (
        "it looks like UTF-16 (little-endian: it starts with the byte-order mark FF FE)"
        in (lines[0])
    )
    assert "partner files must be UTF-8" in lines[0]


def test_a_utf16_file_without_byte_order_mark_says_so_too(tmp_path: Path) -> None:
    path = tmp_path / "products_utf16le.csv"
    path.write_bytes(_text(",").replace("ö", "o").encode("utf-16-le"))
    lines, report = _validate(path)
    assert report.files[0].status == "unreadable"
    assert "bad header row: a NUL byte in the record at line 1; it looks like UTF-16" in lines[0]


def test_a_utf8_file_with_a_byte_order_mark_is_still_clean(tmp_path: Path) -> None:
    path = tmp_path / "products_bom.csv"
    path.write_bytes(_text(",").encode("utf-8-sig"))
    lines, report = _validate(path)
    assert report.exit_code == 0, lines
