"""The rendered report: self-contained, escaped, and showing the KPIs' own numbers."""

from __future__ import annotations

import re
from dataclasses import replace

import polars as pl
import pytest

from reporting.kpis import compute_kpis
from reporting.report import format_value, render_html, render_markdown

EVIL = "<script>alert(1)</script>|x"


@pytest.fixture(scope="module")
def kpis(hand_plan):
    return compute_kpis(
        hand_plan.orders, hand_plan.nodes, hand_plan.products, hand_plan.result, hand_plan.baseline
    )


@pytest.fixture(scope="module")
def evil_kpis(hand_plan):
    """Data text that tries to inject markup: a node id and a backorder reason."""
    nodes = hand_plan.nodes.with_columns(
        pl.when(pl.col("node_id") == "S1").then(pl.lit(EVIL)).otherwise("node_id").alias("node_id")
    )
    result = hand_plan.result
    result = replace(
        result,
        allocations=result.allocations.with_columns(pl.col("node_id").replace("S1", EVIL)),
        backorders=result.backorders.with_columns(reason=pl.lit('"><img src=x onerror=1>')),
    )
    return compute_kpis(hand_plan.orders, nodes, hand_plan.products, result, hand_plan.baseline)


def test_html_is_self_contained_with_charts(kpis) -> None:
    html = render_html(kpis, "run-1")
    assert html.startswith("<!DOCTYPE html>")
    assert html.count("<svg") >= 7  # cost, fill, parcels, days, nodes, channel, method
    assert not re.search(r"<script|<link|<img|<iframe|@import|src=|url\(", html, re.I)
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", html)
    for label in (
        "Cost and savings vs baseline",
        "Fill rate",
        "Parcels per order",
        "Delivery days",
        "Node utilization",
        "Channel mix",
        "Method mix",
    ):
        assert label in html
    assert "90.0 %" in html and "16.7 %" in html  # fill rate, plan-cost savings


def test_html_escapes_data_text(evil_kpis) -> None:
    html = render_html(evil_kpis, "<b>run</b>")
    assert "<script" not in html and "<img" not in html and "<b>run" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;run&lt;/b&gt;" in html


def test_markdown_tables_and_escaping(kpis, evil_kpis) -> None:
    md = render_markdown(kpis, "run-1")
    assert md.startswith("# Allocation report — run run-1")
    assert "| Fill rate (units) | 90.0 % |" in md
    assert "| plan_cost | 25.00 | 30.00 | 5.00 | 16.7 % |" in md
    assert "| split_rate | 66.7 % | 0.0 % |" in md
    evil = render_markdown(evil_kpis, "run|1")
    assert "<script" not in evil and "<img" not in evil
    assert "&lt;script&gt;alert(1)&lt;/script&gt;\\|x" in evil  # pipe cannot break the table
    assert "run\\|1" in evil
    for line in evil.splitlines():
        if line.startswith("|"):
            assert line.endswith("|")


def test_report_without_baseline_or_plan(hand_plan) -> None:
    empty = hand_plan.empty_result
    kpis = compute_kpis(hand_plan.orders, hand_plan.nodes, hand_plan.products, empty)
    html, md = render_html(kpis, "r"), render_markdown(kpis, "r")
    assert "<svg" in html and "—" in md  # missing values shown as a dash, not "None"
    shown = re.findall(r">([^<]*)<", html) + md.split("|")
    assert not [t for t in shown if t.strip().lower() in {"none", "nan", "null"}]


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (0.1234, "ratio", "12.3 %"),
        (0.0003, "ratio", "0.03 %"),
        (0.0, "ratio", "0.0 %"),
        (None, "ratio", "—"),
        (3, "", "3"),
        (1234.5, "currency", "1,234.50"),
        (1.5, "seconds", "1.50 s"),
        (16.66, "%", "16.7 %"),
    ],
)
def test_format_value(value, unit, text) -> None:
    assert format_value(value, unit) == text
