"""Alerts per day as bar geometry; the template draws it as inline SVG (no script, no build)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

WIDTH = 560
HEIGHT = 120
AXIS = 18  # room under the bars for the date labels
HEADROOM = 16  # room above the peak for its label


@dataclass(frozen=True)
class Bar:
    day: str
    count: int
    x: float
    y: float
    width: float
    height: float
    label: str  # short date under every 7th bar, else ''


@dataclass(frozen=True)
class DayChart:
    bars: list[Bar]
    peak: int
    total: int
    width: int = WIDTH
    height: int = HEIGHT


def day_chart(counts: dict[str, int], today: date, days: int = 28) -> DayChart:
    """One bar per UTC day, oldest first, scaled to the busiest day (at least 1)."""
    dates = [today - timedelta(days=offset) for offset in range(days - 1, -1, -1)]
    values = [counts.get(d.isoformat(), 0) for d in dates]
    peak = max([1, *values])
    slot = WIDTH / days
    usable = HEIGHT - AXIS - HEADROOM
    bars = []
    for index, (moment, value) in enumerate(zip(dates, values, strict=True)):
        height = usable * value / peak
        bars.append(Bar(
            day=moment.isoformat(), count=value, x=round(index * slot + 1, 1),
            y=round(HEADROOM + usable - height, 1), width=round(slot - 2, 1), height=round(height, 1),
            label=moment.strftime("%d %b") if (days - 1 - index) % 7 == 0 else "",
        ))
    return DayChart(bars=bars, peak=max(values, default=0), total=sum(values))
