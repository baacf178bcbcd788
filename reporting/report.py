"""The KPI report of a run, as Markdown and as one self-contained HTML page with SVG charts.

Both render the same ``Kpis`` (reporting.kpis), so the page, the Markdown in the outbox and
the warehouse marts never disagree. All text that comes from data is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import polars as pl

from reporting.charts import column_chart, hbar_chart
from reporting.kpis import SCALAR_UNITS, Kpis
from reporting.markdown import md_cell as _md_cell
from reporting.markdown import md_table as _md_table

TOP_NODES = 10

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

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:0;background:#f8fafc;
color:#0f172a}main{max-width:1080px;margin:0 auto;padding:24px}h1{margin:0 0 4px}
.sub{color:#475569;margin:0 0 20px}.cards{display:grid;gap:12px;
grid-template-columns:repeat(auto-fill,minmax(160px,1fr))}.card{background:#fff;
border:1px solid #e2e8f0;border-radius:8px;padding:12px}.card b{display:block;font-size:20px}
.card span{color:#475569;font-size:12px}section{background:#fff;border:1px solid #e2e8f0;
border-radius:8px;padding:16px;margin-top:16px;overflow-x:auto}h2{font-size:18px;margin:0 0 12px}
.grid{display:grid;gap:16px;grid-template-columns:repeat(auto-fit,minmax(420px,1fr))}
table{border-collapse:collapse;font-size:13px;margin-top:8px}td,th{border-bottom:1px solid
#e2e8f0;padding:4px 10px;text-align:right}td:first-child,th:first-child{text-align:left}
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


def _pct(value: float) -> str:
    return f"{100 * value:.1f} %"


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
    "savings_pct": "%",
}


def _tables(kpis: Kpis, top_nodes: int) -> list[tuple[str, pl.DataFrame]]:
    return [
        ("Cost and savings vs baseline", kpis.cost_comparison),
        ("Optimized vs baseline", kpis.baseline_comparison),
        ("Backorders by reason", kpis.backorders_by_reason),
        ("Parcels per order", kpis.parcels_distribution),
        ("Delivery days", kpis.delivery_days_distribution),
        (f"Node utilization (top {top_nodes})", kpis.node_utilization.head(top_nodes)),
        ("Channel mix", kpis.channel_mix),
        ("Method mix", kpis.method_mix),
    ]


def _comparison_rows(frame: pl.DataFrame) -> list[list[str]]:
    """Optimized-vs-baseline rows are formatted in each KPI's own unit."""
    return [
        [r["kpi"], format_value(r["optimized"], r["unit"]), format_value(r["baseline"], r["unit"])]
        for r in frame.iter_rows(named=True)
    ]


# ---- Markdown ---------------------------------------------------------------------------


def render_markdown(
    kpis: Kpis,
    run_id: str,
    top_nodes: int = TOP_NODES,
    extra: Sequence[tuple[str, pl.DataFrame]] = (),
) -> str:
    """The report for the outbox and the Dagster UI metadata (GitHub-flavoured Markdown);
    ``extra`` tables (the inventory position, the node-days) follow the plan's."""
    out = [
        f"# Allocation report — run {_md_cell(run_id)}",
        "",
        f"Solver {_md_cell(kpis.solver)}, status {_md_cell(kpis.status)}; "
        f"{kpis.orders:,} orders, {kpis.lines:,} lines, {kpis.units_ordered:,} units ordered.",
        "",
        "## Headline",
        "",
        _md_table(
            ["KPI", "value"],
            [[label, format_value(getattr(kpis, k), SCALAR_UNITS[k])] for label, k in HEADLINE],
        ),
    ]
    for title, frame in [*_tables(kpis, top_nodes), *extra]:
        rows = (
            _comparison_rows(frame)
            if title == "Optimized vs baseline"
            else _cells(frame, TABLE_UNITS)
        )
        header = ["kpi", "optimized", "baseline"] if title == "Optimized vs baseline" else None
        out += ["", f"## {title}", "", _md_table(header or frame.columns, rows)]
    out += ["", "## All KPIs", "", _md_table(["kpi", "value", "unit"], _all_kpi_rows(kpis)), ""]
    return "\n".join(out)


def _all_kpi_rows(kpis: Kpis) -> list[list[str]]:
    return [
        [r["kpi"], format_value(r["value"], r["unit"]), r["unit"]]
        for r in kpis.to_long().iter_rows(named=True)
    ]


# ---- HTML -------------------------------------------------------------------------------


def _html_table(header: Sequence[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _section(title: str, *blocks: str) -> str:
    return f"<section><h2>{escape(title)}</h2>{''.join(blocks)}</section>"


def _series(kpis: Kpis, frame: pl.DataFrame) -> list[tuple[str, list[float | None]]]:
    """Optimized values, and the baseline's when the report has one."""
    series = [("optimized", frame["optimized"].to_list())]
    if kpis.baseline_objective is not None:
        series.append(("baseline", frame["baseline"].to_list()))
    return series


def _cost_section(kpis: Kpis) -> str:
    costs = kpis.cost_comparison.filter(pl.col("optimized").abs() + pl.col("baseline").abs() > 0)
    savings = (
        f"<p>Plan cost saved: <b>{escape(format_value(kpis.plan_cost_savings, 'currency'))}"
        f"</b> ({escape(format_value(kpis.plan_cost_savings_pct, '%'))}); objective saved: "
        f"<b>{escape(format_value(kpis.objective_savings, 'objective'))}</b> "
        f"({escape(format_value(kpis.objective_savings_pct, '%'))}).</p>"
    )
    chart = hbar_chart(
        "Objective terms, optimized vs baseline", costs["term"].to_list(), _series(kpis, costs)
    )
    return _section("Cost and savings vs baseline", savings, chart)


def _fill_section(kpis: Kpis) -> str:
    comp = kpis.baseline_comparison.filter(pl.col("kpi").str.starts_with("fill_rate"))
    chart = hbar_chart(
        "Fill rate by units, lines and orders",
        [k.removeprefix("fill_rate_") for k in comp["kpi"]],
        _series(kpis, comp),
        _pct,
        scale_to=1.0,
        label_width=90,
    )
    reasons = _html_table(["reason", "lines", "units"], _cells(kpis.backorders_by_reason, {}))
    return _section("Fill rate", chart, reasons)


def _distribution_sections(kpis: Kpis) -> str:
    def count(v: float) -> str:
        return f"{v:,.0f}"

    parcels, days = kpis.parcels_distribution, kpis.delivery_days_distribution
    return (
        "<div class='grid'>"
        + _section(
            "Parcels per order",
            column_chart(
                "Orders by number of parcels",
                [str(v) for v in parcels["parcels"]],
                [float(v) for v in parcels["orders"]],
                count,
                "parcels per order (0 = pickup only) — bars count orders",
            ),
        )
        + _section(
            "Delivery days",
            column_chart(
                "Units by expected delivery days",
                [str(v) for v in days["days"]],
                [float(v) for v in days["units"]],
                count,
                "days until delivery — bars count units",
            ),
        )
        + "</div>"
    )


def _utilization_section(kpis: Kpis, top_nodes: int) -> str:
    nodes = kpis.node_utilization.head(top_nodes)
    chart = hbar_chart(
        "Ship capacity used per node",
        nodes["node_id"].to_list(),
        [
            ("units", nodes["unit_utilization"].to_list()),
            ("orders", nodes["order_utilization"].to_list()),
        ],
        _pct,
        scale_to=1.0,
    )
    return _section(f"Node utilization (top {top_nodes} by units shipped / capacity)", chart)


def _mix_sections(kpis: Kpis) -> str:
    channels, methods = kpis.channel_mix, kpis.method_mix
    channel_chart = hbar_chart(
        "Share of ordered units by channel",
        channels["channel"].to_list(),
        [
            ("ordered units", channels["unit_share"].to_list()),
            ("fill rate", channels["fill_rate_units"].to_list()),
        ],
        _pct,
        scale_to=1.0,
        label_width=90,
        width=460,
    )
    method_chart = hbar_chart(
        "Share of allocated units by fulfillment method",
        methods["fulfillment_method"].to_list(),
        [("allocated units", methods["unit_share"].to_list())],
        _pct,
        scale_to=1.0,
        label_width=120,
        width=460,
    )
    return (
        "<div class='grid'>"
        + _section("Channel mix", channel_chart)
        + _section("Method mix", method_chart)
        + "</div>"
    )


def _charts(kpis: Kpis, top_nodes: int) -> list[str]:
    return [
        _cost_section(kpis),
        _fill_section(kpis),
        _distribution_sections(kpis),
        _utilization_section(kpis, top_nodes),
        _mix_sections(kpis),
    ]


def render_html(
    kpis: Kpis,
    run_id: str,
    top_nodes: int = TOP_NODES,
    extra: Sequence[tuple[str, pl.DataFrame]] = (),
) -> str:
    """One HTML page, no external resources: inline CSS and SVG only."""
    cards = "".join(
        f"<div class='card'><b>{escape(format_value(getattr(kpis, k), SCALAR_UNITS[k]))}</b>"
        f"<span>{escape(label)}</span></div>"
        for label, k in HEADLINE
    )
    tables = "".join(
        _section(
            title,
            _html_table(["kpi", "optimized", "baseline"], _comparison_rows(frame))
            if title == "Optimized vs baseline"
            else _html_table(frame.columns, _cells(frame, TABLE_UNITS)),
        )
        for title, frame in [*_tables(kpis, top_nodes)[1:], *extra]
    )
    title = f"Allocation report — run {run_id}"
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body><main>"
        f"<h1>{escape(title)}</h1><p class='sub'>Solver {escape(kpis.solver)} · status "
        f"{escape(kpis.status)} · {kpis.orders:,} orders · {kpis.lines:,} lines · "
        f"{kpis.units_ordered:,} units ordered · {kpis.units_allocated:,} allocated · "
        f"{kpis.units_backordered:,} backordered</p>"
        f"<div class='cards'>{cards}</div>{''.join(_charts(kpis, top_nodes))}"
        f"<h2 style='margin-top:24px'>Tables</h2>{tables}"
        f"{_section('All KPIs', _html_table(['kpi', 'value', 'unit'], _all_kpi_rows(kpis)))}"
        "</main></body></html>"
    )
