"""`{% section_bars row sections %}`: a learner's percent per section as a row of small bars.

An inline SVG (attributes, not style="", which the CSP refuses) with a text twin: the bars
are hidden from screen readers, and the list beside them says each section's percent.
"""

from dataclasses import dataclass

from django import template

from tracker.progress_math import percent

register = template.Library()

HEIGHT = 24  # px; the tallest bar, 100 %
GAP = 3


@dataclass(frozen=True)
class Bar:
    title: str
    short_title: str
    done: int
    total: int
    pct: int
    x: int
    y: int
    height: int


def bars(titles: list[tuple[str, str]], done: list[int], totals: list[int], width: int):
    result = []
    for n, ((title, short), d, t) in enumerate(zip(titles, done, totals, strict=True)):
        pct = percent(d, t)
        # A started section shows at least a sliver, so 1 % never reads as nothing.
        height = max(round(pct * HEIGHT / 100), 2 if d else 0)
        result.append(
            Bar(title, short, d, t, pct, x=n * (width + GAP), y=HEIGHT - height, height=height)
        )
    return result


@register.inclusion_tag("tracker/partials/_section_bars.html")
def section_bars(row, sections) -> dict:
    width = 8 if len(sections) <= 12 else 5  # long roadmaps keep the cell narrow
    titles = [(s.title, s.short_title) for s in sections]
    return {
        "bars": bars(titles, row.section_done, row.section_totals, width),
        "bar_width": width,
        "width": max(len(sections) * (width + GAP) - GAP, 1),
        "height": HEIGHT,
    }
