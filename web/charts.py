"""The agency's figures as SVG charts made on the server.

Written here rather than with a charting library: the ones for Python either
draw images (matplotlib), or emit SVG with inline scripts and styles that
the Content-Security-Policy forbids (pygal). These charts need no script,
and are readable without colour: each series has its own line pattern and
marker shape, named in a legend that repeats them, and the page shows the
figures in a table beside each chart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from markupsafe import Markup, escape

from web import dates, labels

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 40
# (dash pattern, marker) per series: told apart without colour.
STYLES = [("", "circle"), ("8 4", "square"), ("2 3", "triangle")]


@dataclass
class Series:
    name: str
    values: list[float | None]


@dataclass
class Panel:
    id: str
    title: str
    unit: str
    days: list[str]
    series: list[Series]
    svg: Markup
    formatted: Callable[[float | None], str]


def marker(shape: str, x: float, y: float) -> str:
    if shape == "square":
        return f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="currentColor"/>'
    if shape == "triangle":
        return f'<path d="M{x:.1f} {y - 5:.1f} L{x + 5:.1f} {y + 4:.1f} L{x - 5:.1f} {y + 4:.1f} Z" fill="currentColor"/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="currentColor"/>'


# Tops of the vertical axis: each divides by 4, so the five grid lines fall on round figures.
NICE_TOPS = (4, 8, 12, 20, 40, 60, 100, 120, 200, 240, 400, 600, 1000, 1200, 2000, 4000, 10000, 20000, 40000, 100000)


def nice_max(value: float) -> float:
    for top in NICE_TOPS:
        if value <= top:
            return float(top)
    return float(int(value) + (4 - int(value) % 4))


def line_chart(chart_id: str, title: str, days: list[str], series: list[Series],
               tick: Callable[[float], str], top: float | None = None) -> Markup:
    known = [v for s in series for v in s.values if v is not None]
    top = top or nice_max(max(known) if known else 0)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    n = max(len(days), 1)

    def x(i: int) -> float:
        return LEFT + (plot_w * (i + 0.5) / n)

    def y(v: float) -> float:
        return TOP + plot_h * (1 - v / top)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT + 24 * len(series)}" '
        f'role="img" aria-labelledby="{chart_id}-title" class="kpi-chart" focusable="false">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
    ]
    for k in range(5):  # grid and axis labels
        value = top * k / 4
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
                     f'stroke="currentColor" stroke-opacity="0.2"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end" font-size="12" '
                     f'fill="currentColor">{escape(tick(value))}</text>')
    step = max(1, n // 6)
    for i, day in enumerate(days):
        if i % step == 0:
            parts.append(f'<text x="{x(i):.1f}" y="{HEIGHT - BOTTOM + 18}" text-anchor="middle" font-size="12" '
                         f'fill="currentColor">{escape(short_day(day))}</text>')
    for index, s in enumerate(series):
        dash, shape = STYLES[index % len(STYLES)]
        points = [(x(i), y(v)) for i, v in enumerate(s.values) if v is not None]
        if len(points) > 1:
            path = " ".join(f"{'M' if j == 0 else 'L'}{px:.1f} {py:.1f}" for j, (px, py) in enumerate(points))
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            parts.append(f'<path d="{path}" fill="none" stroke="currentColor" stroke-width="2"{dash_attr}/>')
        parts.extend(marker(shape, px, py) for px, py in points)
        legend_y = HEIGHT + 12 + 24 * index
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(f'<line x1="{LEFT}" x2="{LEFT + 36}" y1="{legend_y}" y2="{legend_y}" stroke="currentColor" '
                     f'stroke-width="2"{dash_attr}/>')
        parts.append(marker(shape, LEFT + 18, legend_y))
        parts.append(f'<text x="{LEFT + 46}" y="{legend_y + 4}" font-size="13" fill="currentColor">'
                     f'{escape(s.name)}</text>')
    if not known:
        parts.append(f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" font-size="14" '
                     f'fill="currentColor">Pas encore de données sur la période</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def short_day(day: str) -> str:
    try:
        y, m, d = (int(p) for p in day.split("-"))
    except ValueError:
        return day
    return f"{d:02d}/{m:02d}"


def ratio_value(row: dict[str, Any], key: str) -> float | None:
    value = row.get(key)
    return None if value is None else float(value)


def kpi_panels(rows: list[dict[str, Any]]) -> list[Panel]:
    days = [str(r.get("date", "")) for r in rows]

    def col(key: str, scale: float = 1.0) -> list[float | None]:
        return [None if r.get(key) is None else float(r[key]) * scale for r in rows]

    def minutes(v: float | None) -> str:
        return "—" if v is None else f"{labels.number(v)} min"

    def pct(v: float | None) -> str:
        return "—" if v is None else f"{labels.number(v)} %"

    def count(v: float | None) -> str:
        return "—" if v is None else labels.number(v)

    specs = [
        ("answer-time", "Délai de première réponse (minutes)", "min",
         [Series("Médiane (p50)", col("median_minutes_to_first_answer")),
          Series("9 questions sur 10 (p90)", col("p90_minutes_to_first_answer"))], minutes),
        ("peer-answers", "Réponses venant d'autres demandeurs d'emploi (%)", "%",
         [Series("Part des réponses entre pairs", col("peer_answer_ratio", 100))], pct),
        ("isolation", "Membres ayant échangé avec quelqu'un (%) — l'isolement recule quand cela monte", "%",
         [Series("Membres avec au moins un échange", col("members_with_interaction_ratio", 100)),
          Series("Rétention à 30 jours", col("retention_30d_ratio", 100))], pct),
        ("events", "Événements : inscriptions", "",
         [Series("Inscriptions", col("event_registrations"))], count),
        ("mentoring", "Mentorat : mises en relation", "",
         [Series("Mentorats acceptés", col("mentoring_matches"))], count),
    ]
    panels = []
    for chart_id, title, unit, series, fmt in specs:
        svg = line_chart(chart_id, title, days, series, lambda v, fmt=fmt: fmt(v), top=100.0 if unit == "%" else None)
        panels.append(Panel(chart_id, title, unit, days, series, svg, fmt))
    return panels


def day_label(day: str) -> str:
    return dates.day(day) if day else ""
