"""Plotly charts of the KPI report: real axes, titles, tooltips, and plotly.js inlined once.

Every chart has one unit of measure on its value axis (a share, a count, or money), so a
share and a rate or an amount never share an axis. Data text (node ids, channels, reasons)
is escaped before Plotly sees it: Plotly renders a subset of HTML in labels and tooltips.
The map is a plain scatter of longitude and latitude with equal-aspect axes: Plotly's geo
and mapbox traces fetch map data from the internet, and the page must render offline.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape

import plotly.graph_objects as go
import plotly.io as pio
import polars as pl
from plotly.offline import get_plotlyjs

PALETTE = ("#2563eb", "#9ca3af", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed")
CONFIG = {"displaylogo": False, "responsive": True}
PLOTLY_MARKER = "<!-- plotly.js -->"  # where the bundle goes; stored pages leave it out

Series = Sequence[tuple[str, Sequence[float | None]]]
GRID = {
    "gridcolor": "#e5e7eb",
    "zerolinecolor": "#d1d5db",
    "linecolor": "#9ca3af",
    "automargin": True,
}
# A small white template of our own: Plotly's built-in ones are copied into every figure,
# which made the figures, not the data, most of the report's time.
TEMPLATE = go.layout.Template(
    layout={
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "colorway": list(PALETTE),
        "xaxis": GRID,
        "yaxis": GRID,
        "hoverlabel": {"align": "left"},
    }
)


def _figure(*traces: go.BaseTraceType) -> go.Figure:
    return go.Figure(data=list(traces), layout={"template": TEMPLATE})


def plotly_script() -> str:
    """The whole plotly.js bundle as one inline script (no CDN: the page works offline)."""
    return f"<script>{get_plotlyjs()}</script>"


def inline_plotly(page: str) -> str:
    """A stored page (marker only) made whole again with the bundle in its place."""
    return page.replace(PLOTLY_MARKER, plotly_script(), 1)


class ChartSet:
    """The page's charts: a placeholder div each, and one script at the end of the page that
    draws them all once the layout is final (a chart drawn while the page is still being
    parsed takes the width of a half-built grid)."""

    def __init__(self) -> None:
        self.figures: list[tuple[str, str]] = []  # (div id, figure JSON)

    def add(self, figure: go.Figure) -> str:
        div_id = f"chart-{len(self.figures) + 1}"
        # plotly's JSON escapes <, > and / (\u003c...), so data text cannot close the script
        self.figures.append((div_id, pio.to_json(figure, validate=False, engine="json")))
        return f"<div class='chart'><div id='{div_id}' class='plotly-graph-div'></div></div>"

    def script(self) -> str:
        calls = "".join(f"draw('{div_id}',{figure});" for div_id, figure in self.figures)
        return (
            "<script>(function(){var config=" + json.dumps(CONFIG) + ";"
            "function draw(id,f){Plotly.newPlot(id,f.data,f.layout,config);}"
            f"{calls}}})();</script>"
        )


def _layout(figure: go.Figure, title: str, x_title: str, y_title: str, height: int) -> go.Figure:
    figure.update_layout(
        title={"text": escape(title), "x": 0.01},
        height=height,
        margin={"l": 70, "r": 20, "t": 50, "b": 60},
        legend={"orientation": "h", "y": -0.25},
        font={"family": "system-ui, sans-serif", "size": 12},
        xaxis_title=escape(x_title),
        yaxis_title=escape(y_title),
    )
    return figure


def _value_axis(figure: go.Figure, share: bool, horizontal: bool) -> None:
    axis = {"tickformat": ".0%", "range": [0, 1.05]} if share else {"rangemode": "tozero"}
    if horizontal:
        figure.update_xaxes(**axis)
    else:
        figure.update_yaxes(**axis)


def bar_chart(
    title: str,
    categories: Sequence[str],
    series: Series,
    category_title: str,
    value_title: str,
    share: bool = False,
    horizontal: bool = False,
    hover: str = ",.2f",
) -> go.Figure:
    """Grouped bars, one group per category and one bar per series (None = no bar).

    ``share``: values are fractions, shown on a 0-100 % axis (a 30 % bar never looks full).
    """
    labels = [escape(str(c)) for c in categories]
    fmt = ".1%" if share else hover
    figure = _figure()
    for i, (name, values) in enumerate(series):
        xy = {"x": list(values), "y": labels} if horizontal else {"x": labels, "y": list(values)}
        value = "x" if horizontal else "y"
        figure.add_trace(
            go.Bar(
                name=escape(name),
                orientation="h" if horizontal else "v",
                marker_color=PALETTE[i % len(PALETTE)],
                hovertemplate=f"%{{{'y' if horizontal else 'x'}}}<br>{escape(name)}: "
                f"%{{{value}:{fmt}}}<extra></extra>",
                **xy,
            )
        )
    x_title, y_title = (
        (value_title, category_title) if horizontal else (category_title, value_title)
    )
    height = max(260, 60 + 28 * len(labels) * max(1, len(series))) if horizontal else 320
    _layout(figure, title, x_title, y_title, height)
    figure.update_layout(barmode="group", showlegend=len(series) > 1)
    _value_axis(figure, share, horizontal)
    if horizontal:
        figure.update_yaxes(autorange="reversed", type="category")
    else:
        figure.update_xaxes(type="category")
    return figure


def trend_chart(
    title: str, labels: Sequence[str], values: Sequence[float | None], value_title: str, share: bool
) -> go.Figure:
    """One KPI over the last waves (a line with markers; the newest last)."""
    fmt = ".1%" if share else ",.2f"
    figure = _figure(
        go.Scatter(
            x=[escape(label) for label in labels],
            y=list(values),
            mode="lines+markers",
            line={"color": PALETTE[0]},
            hovertemplate=f"%{{x}}<br>{escape(value_title)}: %{{y:{fmt}}}<extra></extra>",
        )
    )
    _layout(figure, title, "wave", value_title, 300)
    _value_axis(figure, share, horizontal=False)
    figure.update_xaxes(type="category")
    return figure


def node_map(nodes: pl.DataFrame, currency: str) -> go.Figure:
    """Nodes at their coordinates: marker size by units instructed, colour by ship capacity
    used; DCs as squares, stores as circles. ``nodes``: node_id, name, node_type, latitude,
    longitude, units, orders, cost, unit_utilization."""
    top = max([1, *nodes["units"].fill_null(0).to_list()])
    figure = _figure()
    for node_type, symbol in (("dc", "square"), ("store", "circle")):
        first = not figure.data
        part = nodes.filter(pl.col("node_type") == node_type)
        if part.is_empty():
            continue
        utilization = part["unit_utilization"].fill_null(0.0)
        figure.add_trace(
            go.Scatter(
                x=part["longitude"].to_list(),
                y=part["latitude"].to_list(),
                mode="markers",
                name=f"{node_type.upper() if node_type == 'dc' else node_type}s",
                marker={
                    "symbol": symbol,
                    "size": [8 + 30 * (u / top) ** 0.5 for u in part["units"]],
                    "color": utilization.to_list(),
                    "cmin": 0.0,
                    "cmax": 1.0,
                    "colorscale": "YlOrRd",
                    "line": {"color": "#334155", "width": 1},
                    "showscale": first,
                    "colorbar": {"title": {"text": "ship capacity used"}, "tickformat": ".0%"},
                },
                customdata=[
                    [
                        escape(str(r["node_id"])),
                        escape(str(r["name"] or "")),
                        r["units"],
                        r["orders"],
                        r["cost"],
                        u,
                    ]
                    for r, u in zip(part.iter_rows(named=True), utilization, strict=True)
                ],  # fmt: skip
                hovertemplate="<b>%{customdata[0]}</b> %{customdata[1]}<br>"
                "units instructed: %{customdata[2]:,}<br>orders: %{customdata[3]:,}<br>"
                f"cost: %{{customdata[4]:,.2f}} {escape(currency)}<br>"
                "ship capacity used: %{customdata[5]:.1%}<extra></extra>",
            )
        )
    _layout(figure, "Nodes: size = units instructed, colour = ship capacity used",
            "longitude (°)", "latitude (°)", 520)  # fmt: skip
    figure.update_yaxes(scaleanchor="x", scaleratio=1)
    return figure
