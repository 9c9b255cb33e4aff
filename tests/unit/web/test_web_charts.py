"""The agency's figures as SVG charts: no script, readable without colour."""
import re

from web import charts

ROWS = [{"date": f"2026-01-{d:02d}", "median_minutes_to_first_answer": 30.0 + d, "p90_minutes_to_first_answer": 200.0,
         "peer_answer_ratio": 0.5, "members_with_interaction_ratio": None, "retention_30d_ratio": 0.25,
         "event_registrations": d, "mentoring_matches": 0} for d in range(1, 8)]


def test_each_kpi_panel_is_an_accessible_svg_with_the_figures_for_a_table():
    panels = charts.kpi_panels(ROWS)
    assert [p.id for p in panels] == ["answer-time", "peer-answers", "isolation", "events", "mentoring"]
    answer_time = panels[0]
    svg = str(answer_time.svg)
    assert 'role="img"' in svg and "<title id=\"answer-time-title\">" in svg
    assert "<script" not in svg and "style=" not in svg
    assert [s.name for s in answer_time.series] == ["Médiane (p50)", "9 questions sur 10 (p90)"]
    assert answer_time.series[0].values[0] == 31.0 and answer_time.formatted(31.0) == "31 min"
    assert panels[1].formatted(panels[1].series[0].values[0]) == "50 %"


def test_series_are_told_apart_without_colour():
    svg = str(charts.kpi_panels(ROWS)[0].svg)
    assert 'stroke-dasharray="8 4"' in svg  # the second series is dashed
    assert "<rect" in svg and "<circle" in svg  # and has its own marker shape
    assert 'fill="currentColor"' in svg and not re.search(r'fill="#[0-9a-f]{6}"', svg)


def test_axis_ticks_are_round_figures():
    assert charts.nice_max(0) == 4 and charts.nice_max(1) == 4 and charts.nice_max(250) == 400
    svg = str(charts.kpi_panels(ROWS)[3].svg)  # registrations 1..7 → 0, 2, 4, 6, 8
    ticks = re.findall(r'text-anchor="end"[^>]*>([^<]+)<', svg)
    assert ticks == ["0", "2", "4", "6", "8"]
