"""The dashboard: what sells to whom over the last 12 months, and what is waiting on Socitm."""

from collections.abc import Callable
from dataclasses import dataclass

from flask import render_template

from portal.admin.blueprint import bp
from portal.clock import today_in_london
from portal.money import format_pence
from portal.orders import figures

# Chart geometry, in SVG user units; the SVG scales to the width of the page.
WIDTH, HEIGHT = 720, 280
LEFT, RIGHT, TOP, BOTTOM = 72, 12, 16, 44
GRIDLINES = 4
# Fills with at least 3:1 contrast against the white page (WCAG 1.4.11), told apart by hue and
# by the legend; the CSP forbids inline styles, so colours are SVG presentation attributes.
TEAL, PURPLE = "#106165", "#912b88"


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    fill: str
    title: str


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    gridlines: list[tuple[float, str]]  # y, label
    labels: list[tuple[float, str, str]]  # x centre, month, year (shown on January and the first)
    legend: list[tuple[str, str]]  # name, fill
    summary: str  # what a person sees at a glance, for the SVG's title
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    base: int = HEIGHT - BOTTOM


def _nice_ceiling(value: int) -> int:
    """The axis top: the smallest of 1, 2, 2.5 or 5 times a power of ten, times the number of
    gridlines, at or above ``value``, so every gridline falls on a round number."""
    step = 1
    while True:
        for multiple in (1, 2, 2.5, 5):
            if step * multiple * GRIDLINES >= value:
                return int(step * multiple * GRIDLINES)
        step *= 10


def bar_chart(
    months: list[figures.Month],
    series: list[tuple[str, str, dict[str, int]]],
    show: Callable[[int], str],
) -> Chart:
    """Stacked bars, one per month; ``series`` is (name, fill colour, month key → value) from the
    bottom of each stack up, and ``show`` writes a value for the axis and the bars' titles."""
    top = _nice_ceiling(max([sum(s[2].get(m.key, 0) for s in series) for m in months] + [1]))
    plot = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / len(months)
    bars, labels = [], []
    for index, month in enumerate(months):
        x = LEFT + index * slot + slot * 0.15
        stacked = 0
        for name, fill, values in series:
            value = values.get(month.key, 0)
            if value:
                height = plot * value / top
                y = HEIGHT - BOTTOM - plot * stacked / top - height
                bars.append(
                    Bar(
                        round(x, 1),
                        round(y, 1),
                        round(slot * 0.7, 1),
                        round(height, 1),
                        fill,
                        f"{month.label}, {name}: {show(value)}",
                    )
                )
            stacked += value
        year = str(month.year) if index == 0 or month.month == 1 else ""
        labels.append((round(LEFT + index * slot + slot / 2, 1), month.short, year))
    gridlines = [
        (round(HEIGHT - BOTTOM - plot * step / GRIDLINES, 1), show(top * step // GRIDLINES))
        for step in range(GRIDLINES + 1)
    ]
    legend = [(name, fill) for name, fill, _ in series]
    return Chart(bars, gridlines, labels, legend, _summary(months, series, show))


def _summary(months: list[figures.Month], series, show) -> str:
    parts = []
    for name, _, values in series:
        total = sum(values.get(m.key, 0) for m in months)
        highest = max(months, key=lambda m: values.get(m.key, 0))
        part = f"{name}: {show(total)} in all"
        if total:
            part += f", most in {highest.label} ({show(values.get(highest.key, 0))})"
        parts.append(part)
    return f"{months[0].label} to {months[-1].label}. " + "; ".join(parts) + "."


def _pounds(pence: int) -> str:
    return format_pence(pence).removesuffix(".00")


@bp.route("/dashboard")
def dashboard():
    figures_now = figures.dashboard(today_in_london())
    months = figures_now.months
    revenue_chart = bar_chart(months, [("Revenue", TEAL, figures_now.revenue)], _pounds)
    orders_chart = bar_chart(
        months,
        [
            ("Paying orders", TEAL, figures_now.paying_orders),
            ("Subscriber orders", PURPLE, figures_now.subscriber_orders),
        ],
        str,
    )
    return render_template(
        "admin/dashboard/index.html",
        figures=figures_now,
        revenue_chart=revenue_chart,
        orders_chart=orders_chart,
    )
