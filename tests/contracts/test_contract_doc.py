"""The partner contract document is the contract's own tables, rendered: it cannot drift."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from contracts.contract_doc import REGENERATE, cross_row_rules, render_contract
from contracts.fields import CONTRACT
from contracts.kinds import KINDS
from contracts.results import INSTRUCTION_SCHEMA

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "docs" / "partner_contract.md"


def _section(text: str, kind: str) -> str:
    """The text of one kind's section (from its heading to the next)."""
    match = re.search(rf"^## {kind}\n(.*?)(?=^## )", text, flags=re.S | re.M)
    assert match, f"no section for {kind}"
    return match.group(1)


def test_the_committed_document_is_the_rendered_contract() -> None:
    assert DOCUMENT.read_text(encoding="utf-8") == render_contract(), (
        f"docs/partner_contract.md is out of date with the contract; regenerate it: {REGENERATE}"
    )


def test_the_regeneration_command_prints_the_document() -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "contracts.contract_doc"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert printed == render_contract()


def test_every_field_says_what_it_means() -> None:
    undescribed = [
        (k, f.name) for k, fields in CONTRACT.items() for f in fields if not f.description
    ]
    assert undescribed == []


def test_every_kind_and_every_column_is_in_its_section() -> None:
    text = render_contract()
    assert set(CONTRACT) == set(KINDS)
    for kind in KINDS:
        section = _section(text, kind)
        assert f"`{kind}*.csv`" in section
        for f in CONTRACT[kind]:
            row = next(
                (line for line in section.splitlines() if line.startswith(f"| `{f.name}` |")), None
            )
            assert row is not None, f"{kind}.{f.name} missing from the document"
            assert f.description in row and ("| yes |" in row) == f.required


def test_the_rules_validation_enforces_across_rows_are_listed() -> None:
    text = render_contract()
    orders = _section(text, "orders")
    for rule in ("unknown_sku", "unknown_node", "pickup_not_supported", "ship_to_mismatch"):
        assert rule in cross_row_rules("orders")
        assert f"- `{rule}` (" in orders
    assert "`not_instructed` (when a wave applies the row)" in _section(text, "shipments")
    assert "unknown_sku" not in cross_row_rules("exclusions")  # an exclusion may name a future sku


def test_the_outbox_columns_and_the_money_rule_are_documented() -> None:
    text = render_contract()
    outbox = text[text.index("## The outbox") :]
    for column in INSTRUCTION_SCHEMA:
        assert f"| `{column}` |" in outbox
    assert "rounded to 2 decimals in CSV files" in outbox and "Parquet" in outbox
