"""The KPI report of a run: a Markdown summary and one self-contained offline HTML page.

Both render the same ``Kpis`` (reporting.kpis) and ``ReportContext`` (reporting.page), so the
page, the Markdown and the warehouse marts never disagree. The page draws its charts with
Plotly (reporting.charts) and inlines plotly.js once; its tables hold what no chart shows.
All text that comes from data is escaped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

import plotly.graph_objects as go
import polars as pl

from reporting.charts import PLOTLY_MARKER, ChartSet, bar_chart, node_map, trend_chart
from reporting.kpis import SCALAR_UNITS, Kpis
from reporting.markdown import md_cell as _md_cell
from reporting.markdown import md_table as _md_table
from reporting.page import (
    BENEFIT_COLUMNS,
    NODE_COLUMNS,
    TREND,
    ReportContext,
    WhyGroup,
    benefit_sources,
    node_table,
    report_title,
    settings_rows,
    trend_frame,
    why_groups,
)
from reporting.position import capacity_by_day

TOP_NODES = 10
Chart = Callable[[go.Figure], str]  # adds a figure to the page, returns its div

HEADLINE = (
    ("Fill rate (units)", "fill_rate_units"),
    ("Plan cost", "plan_cost"),
    ("Plan cost saved vs baseline", "plan_cost_savings"),
    ("Objective saved vs baseline", "objective_savings_pct"),
    ("Parcels per order", "parcels_per_order"),
    ("Split rate", "split_rate"),
    ("On-time rate", "on_time_rate"),
    ("Delivery days (mean)", "delivery_days_mean"),
    ("Delivery days (p90)", "delivery_days_p90"),
    ("Gross margin", "gross_margin"),
    ("Optimality gap", "optimality_gap"),
    ("Solve time", "solve_seconds"),
)
# KPIs compared with the baseline in a table: those no chart shows (fill rates, plan cost
# and the objective are charted or in the headline).
TABLE_COMPARED = (
    "parcels_per_order", "split_rate", "cost_per_order", "delivery_days_mean",
    "delivery_days_p90", "on_time_rate", "gross_margin",
)  # fmt: skip

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:0;background:#f8fafc;
color:#0f172a}main{max-width:1180px;margin:0 auto;padding:24px}h1{margin:0 0 4px}
.sub{color:#475569;margin:0 0 8px}.cards{display:grid;gap:12px;margin-top:12px;
grid-template-columns:repeat(auto-fill,minmax(160px,1fr))}.card{background:#fff;
border:1px solid #e2e8f0;border-radius:8px;padding:12px}.card b{display:block;font-size:20px}
.card span{color:#475569;font-size:12px}section{background:#fff;border:1px solid #e2e8f0;
border-radius:8px;padding:16px;margin-top:16px;overflow-x:auto}h2{font-size:18px;margin:0 0 12px}
h3{font-size:15px;margin:12px 0 4px}.grid{display:grid;gap:16px;
grid-template-columns:repeat(auto-fit,minmax(340px,1fr))}.note{color:#475569;font-size:13px}
table{border-collapse:collapse;font-size:13px;margin-top:8px}td,th{border-bottom:1px solid
#e2e8f0;padding:4px 10px;text-align:right}td:first-child,th:first-child{text-align:left}
.scroll{max-height:480px;overflow:auto}li{margin:4px 0;font-size:14px}
"""


def format_value(value: object, unit: str = "") -> str:
    """Human formatting by unit: ratios as percentages, money with two decimals."""
    if value is None:
        return "—"
    if isinstance(value, str | bool):
        return str(value)
    if isinstance(value, int) and unit not in {"ratio", "%"}:
        return f"{value:,}"
    number = float(value)  # type: ignore[arg-type]
    if unit == "ratio":  # small shares (e.g. an optimality gap) keep two decimals
        return f"{100 * number:.2f} %" if 0 < abs(number) < 0.01 else f"{100 * number:.1f} %"
    if unit == "%":
        return f"{number:.1f} %"
    if unit == "seconds":
        return f"{number:.2f} s"
    if unit in {"orders", "lines", "units", "parcels"} and number.is_integer():
        return f"{int(number):,}"
    if unit == "days":
        return f"{number:.2f} d"
    return f"{number:,.2f}"


def money(value: object, currency: str, unit: str = "currency") -> str:
    """An amount with its currency beside it ('12.50 USD', '3.10 USD/order')."""
    text = format_value(value, unit)
    return text if value is None else f"{text} {currency}{unit.removeprefix('currency')}"


def _kpi_text(kpis: Kpis, name: str, currency: str) -> str:
    unit = SCALAR_UNITS[name]
    value = getattr(kpis, name)
    return (
        money(value, currency, unit) if unit.startswith("currency") else format_value(value, unit)
    )


def _cells(frame: pl.DataFrame, units: dict[str, str]) -> list[list[str]]:
    return [
        [format_value(row[c], units.get(c, "")) for c in frame.columns]
        for row in frame.iter_rows(named=True)
    ]


TABLE_UNITS = {
    "unit_share": "ratio",
    "unit_utilization": "ratio",
    "order_utilization": "ratio",
    "fill_rate_units": "ratio",
    "on_time_rate": "ratio",
    "savings_pct": "%",
}


def _comparison_rows(frame: pl.DataFrame, currency: str) -> list[list[str]]:
    """Optimized-vs-baseline rows are formatted in each KPI's own unit."""

    def fmt(value: object, unit: str) -> str:
        return (
            money(value, currency, unit)
            if unit.startswith("currency")
            else format_value(value, unit)
        )

    return [
        [r["kpi"], fmt(r["optimized"], r["unit"]), fmt(r["baseline"], r["unit"])]
        for r in frame.iter_rows(named=True)
    ]


def _subtitle(kpis: Kpis, context: ReportContext) -> str:
    return (
        f"Run {context.run_id} · solver {kpis.solver}, status {kpis.status} · "
        f"{kpis.orders:,} orders, {kpis.lines:,} lines, {kpis.units_ordered:,} units ordered, "
        f"{kpis.units_allocated:,} allocated, {kpis.units_backordered:,} backordered"
    )


def _currency_note(context: ReportContext) -> str:
    return (
        f"Amounts in {context.currency}: prices and rate cards in the partner files carry no "
        f"currency of their own; the report states them in {context.currency} "
        "(reporting.page.DEFAULT_CURRENCY)."
    )


def _benefits(context: ReportContext) -> pl.DataFrame | None:
    b = context.benefits
    return None if b is None or b.is_empty() else b


def _data_quality_lines(context: ReportContext) -> list[str]:
    intake = context.intake
    if intake is None or intake.is_empty():
        return ["No partner file was read in this run."]
    totals = intake.select(pl.col("rows_read", "rows_accepted", "rows_rejected",
                                  "rows_duplicate").sum()).row(0)  # fmt: skip
    return [
        f"{intake.height:,} files read: {totals[0] or 0:,} rows, {totals[1] or 0:,} accepted, "
        f"{totals[2] or 0:,} rejected (quarantined with their reasons), {totals[3] or 0:,} "
        "duplicate."
    ]


# ---- Markdown ---------------------------------------------------------------------------


def render_markdown(kpis: Kpis, context: ReportContext, top_nodes: int = TOP_NODES) -> str:
    """The text summary for the Dagster UI metadata and ``outbox/reports/*.md``."""
    c = context.currency
    out = [
        f"# {_md_cell(report_title(context))}",
        "",
        _md_cell(_subtitle(kpis, context)) + ".",
        "",
        _md_cell(_currency_note(context)),
        "",
        "## Headline",
        "",
        _md_table(["KPI", "value"], [[label, _kpi_text(kpis, k, c)] for label, k in HEADLINE]),
    ]
    benefits = _benefits(context)
    if benefits is not None:
        rows = [
            [r["capability"], money(r["incremental_gross_margin"], c), r["method"]]
            for r in benefits.iter_rows(named=True)
        ]
        out += ["", "## Benefit estimates", "",
                _md_table(["capability", "incremental gross margin", "method"], rows)]  # fmt: skip
        out += ["", *(f"- {_md_cell(s)}" for s in benefit_sources(benefits))]
    out += ["", "## Why", ""]
    groups = why_groups(context)
    for group in groups:
        out += [f"### {_md_cell(group.heading)}", "", _md_cell(group.summary), ""]
        out += [f"- {_md_cell(e)}" for e in group.examples] + [""]
    if not groups:
        out += ["No explanation stored for this run.", ""]
    out += ["## Data quality", "", *map(_md_cell, _data_quality_lines(context))]
    for title, frame in _quality_tables(context):
        out += ["", f"### {title}", "", _md_table(frame.columns, _cells(frame, {}))]
    out += ["", "## Settings", "", _md_table(["setting", "value"], settings_rows(context.settings))]
    trend = trend_frame(context, {k: getattr(kpis, k) for k, *_ in TREND})
    out += ["", "## Trend over the last waves", "",
            _md_table(trend.columns, _cells(trend, TABLE_UNITS))]  # fmt: skip
    for title, frame in _md_tables(kpis, context, top_nodes):
        out += ["", f"## {title}", "", _md_table(frame.columns, _cells(frame, TABLE_UNITS))]
    comparison = _comparison_rows(kpis.baseline_comparison, c)
    out += ["", "## Optimized vs baseline", "",
            _md_table(["kpi", "optimized", "baseline"], comparison)]  # fmt: skip
    out += ["", "## All KPIs", "", _md_table(["kpi", "value", "unit"], _all_kpi_rows(kpis)), ""]
    return "\n".join(out)


def _quality_tables(context: ReportContext) -> list[tuple[str, pl.DataFrame]]:
    tables = []
    if context.intake is not None and not context.intake.is_empty():
        tables.append(("Files", context.intake))
    if context.quarantine is not None and not context.quarantine.is_empty():
        tables.append(("Quarantine reasons", context.quarantine))
    return tables


def _nodes(kpis: Kpis, context: ReportContext) -> pl.DataFrame:
    return node_table(kpis.node_utilization, context)


def _md_tables(
    kpis: Kpis, context: ReportContext, top_nodes: int
) -> list[tuple[str, pl.DataFrame]]:
    nodes = _nodes(kpis, context).select(NODE_COLUMNS)
    tables = [
        ("Cost and savings vs baseline", kpis.cost_comparison),
        ("Backorders by reason", kpis.backorders_by_reason),
        ("Parcels per order", kpis.parcels_distribution),
        ("Delivery days", kpis.delivery_days_distribution),
        (f"Nodes (top {top_nodes} by units instructed)", nodes.head(top_nodes)),
        ("Channel mix", kpis.channel_mix),
        ("Method mix", kpis.method_mix),
    ]
    if context.days is not None:
        tables.append((f"Capacity per node and day (top {top_nodes})",
                       capacity_by_day(context.days).head(top_nodes)))  # fmt: skip
    return tables


def _all_kpi_rows(kpis: Kpis) -> list[list[str]]:
    return [
        [r["kpi"], format_value(r["value"], r["unit"]), r["unit"]]
        for r in kpis.to_long().iter_rows(named=True)
    ]


# ---- HTML -------------------------------------------------------------------------------


def _html_table(header: Sequence[str], rows: list[list[str]], scroll: bool = False) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    return f"<div class='scroll'>{table}</div>" if scroll else table


def _section(title: str, *blocks: str, anchor: str = "") -> str:
    ident = f" id='{escape(anchor)}'" if anchor else ""
    return f"<section{ident}><h2>{escape(title)}</h2>{''.join(blocks)}</section>"


def _p(text: str, cls: str = "") -> str:
    return f"<p class='{cls}'>{escape(text)}</p>" if cls else f"<p>{escape(text)}</p>"


def _series(kpis: Kpis, frame: pl.DataFrame) -> list[tuple[str, list[float | None]]]:
    """Optimized values, and the baseline's when the report has one."""
    series = [("optimized", frame["optimized"].to_list())]
    if kpis.baseline_objective is not None:
        series.append(("baseline", frame["baseline"].to_list()))
    return series


def _benefit_section(context: ReportContext, chart: Chart) -> str:
    c = context.currency
    benefits = _benefits(context)
    if benefits is None:
        return _section(
            "Benefit estimates",
            _p(
                "Not computed for this run (the benefit_estimates asset did not run or failed).",
                "note",
            ),  # fmt: skip
            anchor="benefits",
        )
    figure = bar_chart(
        "Incremental gross margin per capability (with vs without it)",
        benefits["capability"].to_list(),
        [("incremental gross margin", benefits["incremental_gross_margin"].to_list())],
        "capability",
        f"incremental gross margin ({c})",
    )
    shown = benefits.select(BENEFIT_COLUMNS)
    sources = benefit_sources(benefits)
    return _section(
        "Benefit estimates",
        chart(figure),
        _p(
            "How each estimate is made: the wave's own problem re-solved with the capability "
            "off and on (counterfactual), or documented assumptions; margins in "
            f"{c}.",
            "note",
        ),  # fmt: skip
        _html_table(shown.columns, _cells(shown, {})),
        _p("BORIS return figures: " + "; ".join(sources) + ".", "note") if sources else "",
        anchor="benefits",
    )


def _cost_section(kpis: Kpis, context: ReportContext, chart: Chart) -> str:
    c = context.currency
    costs = kpis.cost_comparison.filter(
        (pl.col("term") != "objective") & (pl.col("optimized").abs() + pl.col("baseline").abs() > 0)
    )
    savings = _p(
        f"Plan cost saved: {money(kpis.plan_cost_savings, c)} "
        f"({format_value(kpis.plan_cost_savings_pct, '%')}); objective saved: "
        f"{format_value(kpis.objective_savings, 'objective')} "
        f"({format_value(kpis.objective_savings_pct, '%')})."
    )
    figure = bar_chart(
        "Cost terms, optimized vs baseline",
        costs["term"].to_list(),
        _series(kpis, costs),
        "cost term",
        f"amount ({c})",
        horizontal=True,
    )
    return _section("Cost and savings vs baseline", savings, chart(figure), anchor="cost")


def _service_section(kpis: Kpis, context: ReportContext, chart: Chart) -> str:
    comp = kpis.baseline_comparison.filter(pl.col("kpi").str.starts_with("fill_rate"))
    fill = bar_chart(
        "Fill rate by units, lines and orders",
        [k.removeprefix("fill_rate_") for k in comp["kpi"]],
        _series(kpis, comp),
        "measured over",
        "fill rate",
        share=True,
    )
    reasons = kpis.backorders_by_reason
    blocks = [chart(fill)]
    if reasons.height:
        blocks.append(chart(bar_chart(
            "Backordered units by reason", reasons["reason"].to_list(),
            [("backordered units", [float(v) for v in reasons["units"]])],
            "reason", "units", horizontal=True, hover=",.0f",
        )))  # fmt: skip
    table = kpis.baseline_comparison.filter(pl.col("kpi").is_in(TABLE_COMPARED))
    return _section(
        "Service and cost per order",
        "<div class='grid'>" + "".join(blocks) + "</div>",
        "<h3>Optimized vs baseline (KPIs not charted above)</h3>",
        _html_table(["kpi", "optimized", "baseline"], _comparison_rows(table, context.currency)),
        anchor="service",
    )


def _trend_section(kpis: Kpis, context: ReportContext, chart: Chart) -> str:
    trend = trend_frame(context, {k: getattr(kpis, k) for k, *_ in TREND})
    labels = trend["label"].to_list()
    charts = "".join(
        chart(trend_chart(
            title, labels, trend[key].to_list(),
            axis if share else f"{axis} ({context.currency}/order)", share,
        ))
        for key, title, axis, share in TREND
    )  # fmt: skip
    return _section(
        f"Trend over the last {trend.height} wave(s)",
        f"<div class='grid'>{charts}</div>",
        anchor="trend",
    )


def _node_section(kpis: Kpis, context: ReportContext, chart: Chart) -> str:
    nodes = _nodes(kpis, context)
    blocks = []
    located = nodes.drop_nulls(["latitude", "longitude"])
    if located.height:
        blocks.append(chart(node_map(located, context.currency)))
    else:
        blocks.append(_p("No node coordinates: no map.", "note"))
    shown = nodes.select(NODE_COLUMNS).rename({"cost": f"cost ({context.currency})"})
    blocks += [
        "<h3>Per node: work, cost, capacity used and stock position</h3>",
        _html_table(shown.columns, _cells(shown, TABLE_UNITS), scroll=True),
    ]
    if context.days is not None and context.days.height:
        days = capacity_by_day(context.days).head(TOP_NODES)
        blocks += [
            f"<h3>Fullest node-days (top {TOP_NODES} by units against capacity)</h3>",
            _html_table(days.columns, _cells(days, TABLE_UNITS)),
        ]
    return _section("Nodes", *blocks, anchor="nodes")


def _distribution_section(kpis: Kpis, chart: Chart) -> str:
    parcels, days = kpis.parcels_distribution, kpis.delivery_days_distribution
    channels, methods = kpis.channel_mix, kpis.method_mix
    figures = [
        bar_chart("Orders by parcels (0 = pickup only)",
                  [str(v) for v in parcels["parcels"]], [("orders", parcels["orders"].to_list())],
                  "parcels per order", "orders", hover=",.0f"),
        bar_chart("Units by expected delivery days", [str(v) for v in days["days"]],
                  [("units", days["units"].to_list())], "days until delivery", "units",
                  hover=",.0f"),
        bar_chart("Share of ordered units by channel", channels["channel"].to_list(),
                  [("share of ordered units", channels["unit_share"].to_list())], "channel",
                  "share of ordered units", share=True),
        bar_chart("Fill rate by channel", channels["channel"].to_list(),
                  [("fill rate", channels["fill_rate_units"].to_list())], "channel",
                  "fill rate (units)", share=True),
        bar_chart("Allocated units by method",
                  methods["fulfillment_method"].to_list(),
                  [("share of allocated units", methods["unit_share"].to_list())],
                  "fulfillment method", "share of allocated units", share=True),
    ]  # fmt: skip
    return _section(
        "Parcels, delivery and mix",
        "<div class='grid'>" + "".join(chart(f) for f in figures) + "</div>",
        anchor="mix",
    )


def _why_html(groups: list[WhyGroup]) -> str:
    if not groups:
        return _section("Why", _p("No explanation stored for this run.", "note"), anchor="why")
    blocks = []
    for group in groups:
        items = "".join(f"<li>{escape(e)}</li>" for e in group.examples)
        blocks.append(f"<h3>{escape(group.heading)}</h3>{_p(group.summary)}<ul>{items}</ul>")
    return _section("Why: the biggest decisions", *blocks, anchor="why")


def _quality_html(context: ReportContext) -> str:
    blocks = [_p(line) for line in _data_quality_lines(context)]
    for title, frame in _quality_tables(context):
        blocks += [f"<h3>{escape(title)}</h3>",
                   _html_table(frame.columns, _cells(frame, {}), scroll=True)]  # fmt: skip
    return _section("Data quality of the intake", *blocks, anchor="quality")


def render_html(
    kpis: Kpis, context: ReportContext, top_nodes: int = TOP_NODES, plotly_js: str = ""
) -> str:
    """One page with no external resource: inline CSS, plotly.js inline once (``plotly_js``,
    ``charts.plotly_script()``; left empty, ``PLOTLY_MARKER`` marks where it goes)."""
    del top_nodes  # the page lists every node; kept for the Markdown's signature
    charts = ChartSet()
    chart = charts.add
    c = context.currency
    cards = "".join(
        f"<div class='card'><b>{escape(_kpi_text(kpis, k, c))}</b><span>{escape(label)}</span>"
        "</div>"
        for label, k in HEADLINE
    )
    title = report_title(context)
    body = "".join([
        _benefit_section(context, chart),
        _cost_section(kpis, context, chart),
        _service_section(kpis, context, chart),
        _trend_section(kpis, context, chart),
        _node_section(kpis, context, chart),
        _distribution_section(kpis, chart),
        _why_html(why_groups(context)),
        _quality_html(context),
        _section("Settings", _html_table(["setting", "value"], settings_rows(context.settings)),
                 anchor="settings"),
    ])  # fmt: skip
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{CSS}</style>"
        f"{plotly_js or PLOTLY_MARKER}</head><body><main>"
        f"<h1>{escape(title)}</h1><p class='sub'>{escape(_subtitle(kpis, context))}</p>"
        f"<p class='sub' id='currency'>{escape(_currency_note(context))}</p>"
        f"<div class='cards'>{cards}</div>{body}</main>{charts.script()}</body></html>"
    )
