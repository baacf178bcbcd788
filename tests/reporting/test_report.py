"""The rendered report: an offline Plotly page and a Markdown summary, titled by date and
wave, showing settings, currency, data quality, benefits, trend, nodes and the plan's why."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime

import polars as pl
import pytest

from contracts.results import EXPLANATION_SCHEMA
from reporting.charts import PLOTLY_MARKER, inline_plotly, plotly_script
from reporting.kpis import compute_kpis
from reporting.page import ReportContext, report_stem, report_title, wave_numbers
from reporting.report import format_value, render_html, render_markdown
from tests.hand_plan import rows

EVIL = "<script>alert(1)</script>|x"
WAVE_AT = datetime(2025, 3, 3, 11, 0, tzinfo=UTC)
SETTINGS = {"backorder_penalty": 1.0, "business_timezone": "UTC", "mip_gap": 0.005,
            "ship_from_store": True}  # fmt: skip
SPLIT_SENTENCE = "DC1 at 7.0 (parcel 5.0, handling 2.0, days 0.3, late 0.0); it beat S1 (9.0)."
UNECONOMIC_SENTENCE = (
    "Backordered 2 units: filling it would cost more than the backorder penalty. "
    "Cheapest option DC1 would cost 75.00 against a penalty of 60.0."
)


@pytest.fixture(scope="module")
def plan(hand_plan):
    """The hand plan plus a wholly backordered, uneconomic line O4 and its explanations."""
    orders = pl.concat(
        [
            hand_plan.orders,
            hand_plan.orders.filter(pl.col("order_id") == "O3").with_columns(
                order_id=pl.lit("O4"), quantity=pl.lit(2, pl.Int64)
            ),
        ]
    )
    result = hand_plan.result
    backorders = pl.concat(
        [
            result.backorders,
            result.backorders.with_columns(
                order_id=pl.lit("O4"),
                quantity=pl.lit(2, pl.Int64),
                reason=pl.lit("uneconomic"),
                cheapest_node_id=pl.lit("DC1"),
                fill_cost=pl.lit(75.0),
                penalty=pl.lit(60.0),
            ),
        ]
    )
    explanations = rows(
        EXPLANATION_SCHEMA,
        {"order_id": "O1", "line_no": 1, "node_id": "DC1", "chosen_cost": 7.0,
         "explanation": SPLIT_SENTENCE, "binding": "cheapest"},
        {"order_id": "O1", "line_no": 2, "node_id": "S1", "chosen_cost": 4.75,
         "explanation": "S1 at 4.75: no other eligible node could fill it. Split across 2 nodes.",
         "binding": "only_option"},
        {"order_id": "O4", "line_no": 1, "alternative_node_id": "DC1", "alternative_cost": 75.0,
         "explanation": UNECONOMIC_SENTENCE, "binding": "uneconomic", "backordered": 2},
    )  # fmt: skip
    result = replace(result, backorders=backorders, explanations=explanations)
    return orders, result


@pytest.fixture(scope="module")
def kpis(hand_plan, plan):
    orders, result = plan
    return compute_kpis(orders, hand_plan.nodes, hand_plan.products, result, hand_plan.baseline)


def _context(hand_plan, plan, **changes) -> ReportContext:
    orders, result = plan
    intake = pl.DataFrame(
        {"file_name": ["orders_web.csv", "stock.csv"], "kind": ["orders", "stock"],
         "status": ["ok", "ok"], "rows_read": [12, 5], "rows_accepted": [10, 5],
         "rows_rejected": [2, 0], "rows_duplicate": [0, 0]}
    )  # fmt: skip
    quarantine = pl.DataFrame(
        {"kind": ["orders"], "column": ["sku"], "rule": ["unknown_sku"], "rows": [2],
         "example": ["no such sku in products"]}
    )  # fmt: skip
    benefits = pl.DataFrame(
        {"capability": ["ship_from_store", "boris"], "method": ["counterfactual", "assumptions"],
         "gross_margin_with": [85.0, 85.0], "gross_margin_without": [70.0, 85.0],
         "units_filled_delta": [1, 0], "plan_margin_delta": [15.0, 0.0],
         "extra_margin": [0.0, 4.5], "incremental_gross_margin": [15.0, 4.5],
         "status_with": ["optimal", "optimal"], "status_without": ["optimal", "optimal"],
         "return_rate": [None, 0.08], "return_rate_source": [None, "data"],
         "returned_units": [None, 412]}
    )  # fmt: skip
    trend = pl.DataFrame(
        {"label": ["03-02 W4", "03-03 W1"], "fill_rate_units": [0.8, 0.85],
         "on_time_rate": [0.5, 0.6], "cost_per_order": [9.0, 8.0]}
    )  # fmt: skip
    base = ReportContext(
        run_id="3f2a9c1e-0000-4000-8000-000000000001",
        wave_at=WAVE_AT,
        wave_number=2,
        settings=SETTINGS,
        intake=intake,
        quarantine=quarantine,
        benefits=benefits,
        trend=trend,
        nodes=hand_plan.nodes,
        orders=orders,
        plan=result,
    )
    return replace(base, **changes)


@pytest.fixture(scope="module")
def context(hand_plan, plan) -> ReportContext:
    return _context(hand_plan, plan)


@pytest.fixture(scope="module")
def page(kpis, context) -> str:
    return render_html(kpis, context, plotly_js=plotly_script())


def _figures(page: str) -> dict[str, dict]:
    """Every chart's figure as the page hands it to Plotly: {div id: figure}."""
    decoder = json.JSONDecoder()
    found = {}
    for match in re.finditer(r"draw\('(chart-\d+)',", page):
        figure, _ = decoder.raw_decode(page, match.end())
        found[match.group(1)] = figure
    return found


def _outside_bundle(page: str) -> str:
    bundle = plotly_script()
    assert page.count(bundle) == 1  # plotly.js inlined exactly once
    return page.replace(bundle, "")


def test_title_names_the_date_and_the_wave(kpis, hand_plan, plan, context, page) -> None:
    title = "Wave 2 of 2025-03-03, 11:00 UTC"
    assert report_title(context) == title
    assert f"<title>{title}</title>" in page and f"<h1>{title}</h1>" in page
    assert render_markdown(kpis, context).startswith(f"# {title}\n")
    berlin = _context(hand_plan, plan, settings={"business_timezone": "Europe/Berlin"})
    assert report_title(berlin) == "Wave 2 of 2025-03-03, 12:00 CET"
    dry = _context(hand_plan, plan, kind="scenario", wave_number=None)
    assert report_title(dry) == "What-if (dry run) of 2025-03-03, 11:00 UTC"
    assert report_stem(context) == "2025-03-03_wave2_3f2a9c1e"
    assert report_stem(dry) == "2025-03-03_whatif_3f2a9c1e"


def test_waves_are_numbered_within_their_business_day() -> None:
    at = [datetime(2025, 3, 2, 23, 30, tzinfo=UTC), datetime(2025, 3, 3, 8, tzinfo=UTC),
          datetime(2025, 3, 3, 23, 30, tzinfo=UTC)]  # fmt: skip
    waves = pl.DataFrame({"run_id": ["a", "b", "c"], "wave_at": at, "published_at": at})
    assert wave_numbers(waves, "UTC")["number"].to_list() == [1, 1, 2]
    # in Berlin (UTC+1) both 23:30 UTC waves fall on the next day
    assert wave_numbers(waves, "Europe/Berlin")["number"].to_list() == [1, 2, 1]


def test_page_needs_no_network(kpis, context, page) -> None:
    assert page.startswith("<!DOCTYPE html>")
    rest = _outside_bundle(page)
    assert not re.search(r"<script[^>]+src=|<link|<iframe|<img|@import|url\(", rest, re.I)
    assert not re.search(r"https?://", rest)
    stored = render_html(kpis, context)  # as marts.reports keeps it: the bundle left out
    assert PLOTLY_MARKER in stored and plotly_script() not in stored
    assert inline_plotly(stored) == page


def test_every_chart_is_a_plotly_div_with_titled_axes(page) -> None:
    figures = _figures(page)
    assert len(figures) >= 12  # benefits, cost, fill, backorders, 3 trends, map, 5 mixes
    for div_id, figure in figures.items():
        assert f"id='{div_id}' class='plotly-graph-div'" in page
        layout = figure["layout"]
        assert layout["title"]["text"], div_id
        assert layout["xaxis"]["title"]["text"] and layout["yaxis"]["title"]["text"], div_id
        for trace in figure["data"]:
            assert trace["type"] in {"bar", "scatter"}  # no geo/mapbox: they fetch map tiles
            assert trace.get("hovertemplate"), div_id


def test_each_chart_has_one_unit_of_measure(page) -> None:
    """A share axis (0-100 %) never carries money or counts, and no chart mixes the two."""
    by_title = {f["layout"]["title"]["text"]: f for f in _figures(page).values()}
    assert by_title["Fill rate by channel"]["layout"]["yaxis"]["tickformat"] == ".0%"
    assert by_title["Share of ordered units by channel"]["layout"]["yaxis"]["tickformat"] == ".0%"
    for name in ("Fill rate by channel", "Share of ordered units by channel"):
        assert len(by_title[name]["data"]) == 1
    cost = by_title["Cost per served order"]["layout"]["yaxis"]
    assert "tickformat" not in cost and "USD" in cost["title"]["text"]
    fill_trend = by_title["Fill rate (units)"]
    assert fill_trend["data"][0]["x"] == ["03-02 W4", "03-03 W1", "03-03 W2"]  # this wave last


def test_map_places_nodes_at_their_coordinates(page) -> None:
    maps = [f for f in _figures(page).values() if f["layout"]["yaxis"].get("scaleanchor") == "x"]
    assert len(maps) == 1
    (figure,) = maps
    assert figure["layout"]["xaxis"]["title"]["text"] == "longitude (°)"
    points = {
        (x, y) for trace in figure["data"] for x, y in zip(trace["x"], trace["y"], strict=True)
    }
    assert {(8.0, 50.0), (8.1, 50.1), (8.2, 50.2)} <= points  # DC1, S1, S2
    dc = next(t for t in figure["data"] if t["name"] == "DCs")
    assert dc["marker"]["color"] == [pytest.approx(7 / 100)]  # DC1 ships 2+2+3 of 100 units


def test_settings_currency_benefits_and_data_quality_are_shown(page, kpis, context) -> None:
    assert "<td>backorder_penalty</td><td>1.0</td>" in page
    assert "<td>ship_from_store</td><td>on</td>" in page
    assert "Amounts in USD" in page and "25.00 USD" in page  # plan cost, with its currency
    assert "return_rate 8.0 % from data (412 returned units)" in page
    assert "2 files read: 17 rows, 15 accepted, 2 rejected" in page
    assert "<td>unknown_sku</td><td>2</td>" in page
    md = render_markdown(kpis, context)
    assert "| backorder_penalty | 1.0 |" in md and "| ship_from_store | 15.00 USD |" in md
    assert "## Data quality" in md and "unknown_sku" in md
    missing = render_html(kpis, replace(context, benefits=None))
    assert "Benefit estimates" in missing and "Not computed for this run" in missing


def test_why_section_is_drawn_from_the_explanations(page, kpis, context) -> None:
    md = render_markdown(kpis, context)
    for text in (page, md):
        assert "Split orders" in text and SPLIT_SENTENCE in text
        assert "Order O1 goes in 2 parcels from DC1, S1." in text
        assert "Backordered: uneconomic" in text and UNECONOMIC_SENTENCE in text
        # O4: 2 units at 30.00, penalty 1 x price = 60.00 against 75.00 to fill
        assert "would have cost 75.00 USD against backorder penalties of 60.00 USD" in text
        assert "Backordered: no_stock" in text
    assert "Farthest sources" in page  # O1 and O3 have ship-to coordinates


def test_tables_do_not_repeat_the_charts(page) -> None:
    headers = re.findall(r"<thead><tr>(.*?)</tr></thead>", page)
    charted = ("unit_share", "<th>reason</th><th>lines</th>", "<th>parcels</th><th>orders</th>")
    assert headers and not [h for h in headers for c in charted if c in h]
    assert "<td>fill_rate_units</td>" not in page  # charted, so not in the comparison table
    assert "<td>split_rate</td>" in page  # not charted: in the table


def test_data_text_is_escaped(hand_plan, plan, kpis) -> None:
    orders, result = plan
    nodes = hand_plan.nodes.with_columns(pl.col("node_id").replace("S1", EVIL))
    evil_result = replace(
        result,
        allocations=result.allocations.with_columns(pl.col("node_id").replace("S1", EVIL)),
        backorders=result.backorders.with_columns(reason=pl.lit('"><img src=x onerror=1>')),
    )
    evil = compute_kpis(orders, nodes, hand_plan.products, evil_result, hand_plan.baseline)
    context = replace(_context(hand_plan, plan), run_id="<b>run</b>", nodes=nodes, plan=evil_result)
    html = render_html(evil, context)
    assert "<script>alert" not in html and "<img" not in html and "<b>run" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "&lt;b&gt;run&lt;/b&gt;" in html
    md = render_markdown(evil, replace(context, run_id="run|1"))
    assert "<script" not in md and "<img" not in md
    assert "&lt;script&gt;alert(1)&lt;/script&gt;\\|x" in md  # a pipe cannot break a table
    for line in md.splitlines():
        if line.startswith("|"):
            assert line.endswith("|")


def test_report_without_baseline_plan_or_context(hand_plan) -> None:
    empty = hand_plan.empty_result
    kpis = compute_kpis(hand_plan.orders, hand_plan.nodes, hand_plan.products, empty)
    context = ReportContext(run_id="r")
    html, md = render_html(kpis, context), render_markdown(kpis, context)
    assert "Wave of unknown time" in html and "—" in md  # missing values shown as a dash
    assert "No explanation stored for this run." in html
    shown = re.findall(r">([^<]*)<", html.replace(PLOTLY_MARKER, "")) + md.split("|")
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
