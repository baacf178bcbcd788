"""The README's promises: every test its Guarantees table cites exists, and the contract's
upper bounds it lists are the contract's own (``contracts.fields``), so neither can drift."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from contracts.fields import upper_bounds_markdown

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_guarantee_cites_tests_that_exist():
    section = README.split("## Guarantees", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "`tests/" in line]
    assert len(rows) >= 10
    for line in rows:
        for path, name in re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", line):
            tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
            defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
            assert name in defined, f"README cites {path}::{name}, which does not exist"


def test_the_bounds_table_is_the_contracts():
    assert upper_bounds_markdown() in README
