"""Data for the charts drawn in the browser (static/js/charts.js with uPlot): labels along the
x axis and series of amounts. Amounts travel as strings (Decimal) and are only turned into
numbers for drawing; the page shows the exact figures in a table next to the chart."""

from __future__ import annotations

from decimal import Decimal


def series(label: str, values: list[Decimal], *, kind: str = "bar", tone: int = 1) -> dict:
    """kind: "bar", "line" or "dashed"; tone: the colour (1–4, see .tone-N in app.css)."""
    return {"label": str(label), "values": [str(v) for v in values], "kind": kind, "tone": tone}


def chart_data(*, labels: list[str], series: list[dict], height: int = 240) -> dict:
    return {"labels": [str(label) for label in labels], "series": series, "height": height}
