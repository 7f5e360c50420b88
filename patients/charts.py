"""Small per-symptom charts of a patient's last 30 days, drawn as inline SVG: on the
care team's patient page and on the patient's own history.

Pure: a catalogue item, its answers by day, the baseline and the flags in; the
geometry and the words a template needs out. No database, no clock, no
JavaScript: the server renders the SVG and it prints as it shows.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from clinical.catalogue import COUNT, SCORE, TEMPERATURE, WELLBEING, YESNO, Item
from clinical.urgency import highest

DAYS = 30
WIDTH = 300
HEIGHT = 90  # a line chart; a yes/no row is shorter
MARKS_HEIGHT = 40
LEFT, RIGHT, TOP, BOTTOM = 28, 8, 6, 16  # room for the axis labels
MARK_SIZE = 3.2  # half the width of a point's mark
TEMPERATURE_RANGE = (Decimal("35.0"), Decimal("40.0"))
URGENCY_WORDS = {"amber": "amber flag", "red": "red flag", "emergency": "emergency flag"}


def window_start(end: date) -> date:
    """The first of the DAYS days that end on `end`."""
    return end - timedelta(days=DAYS - 1)


def short_date(day: date) -> str:
    return f"{day.day} {day:%b}"


def worst_of_day(item: Item, values: Iterable):
    """A day's worst answer: the lowest wellbeing, a yes, else the highest value."""
    values = [v for v in values if v is not None]
    if not values:
        return None
    if item.kind == YESNO:
        return any(values)
    return min(values) if item.kind == WELLBEING else max(values)


def y_range(item: Item, values: Iterable, baseline=None) -> tuple:
    """The y-axis of an item: its scale, widened for stools and temperature as observed."""
    values = [v for v in values if v is not None]
    if item.kind == COUNT:
        return 0, max([*values, baseline or 0]) + 1
    if item.kind == TEMPERATURE:
        low, high = TEMPERATURE_RANGE
        return min([low, *values]), max([high, *values])
    return item.bounds or (0, 1)


def _fmt(value) -> str:
    if isinstance(value, Decimal | float):
        return f"{value:.1f}".removesuffix(".0")
    return str(value)


def _mark(x: float, y: float, urgency: str | None, *, small: bool = False) -> str:
    """A point's shape, so that urgency never rests on colour alone.

    No flag: a circle; amber: a triangle; red: a square; emergency: a diamond.
    `small`: a smaller circle, for a "no" on a yes/no row.
    """
    s = MARK_SIZE * (0.6 if small else 1)
    if urgency == "amber":
        s *= 1.25
        return f"M{x:.1f},{y - s:.1f}L{x + s:.1f},{y + s * 0.8:.1f}L{x - s:.1f},{y + s * 0.8:.1f}Z"
    if urgency == "red":
        return f"M{x - s:.1f},{y - s:.1f}h{2 * s:.1f}v{2 * s:.1f}h{-2 * s:.1f}Z"
    if urgency == "emergency":
        s *= 1.35
        return f"M{x:.1f},{y - s:.1f}L{x + s:.1f},{y:.1f}L{x:.1f},{y + s:.1f}L{x - s:.1f},{y:.1f}Z"
    r = s * 0.8  # a circle as two arcs, so that every mark is one path
    arc = f"a{r:.1f},{r:.1f} 0 1,0"
    return f"M{x - r:.1f},{y:.1f}{arc} {2 * r:.1f},0{arc} {-2 * r:.1f},0Z"


@dataclass(frozen=True)
class Day:
    """One day of the window: its worst answer (None: no check-in answered it)."""

    date: date
    value: object
    urgency: str | None  # the worst flag of the item that day, if any
    x: float
    y: float | None
    mark: str  # SVG path of the point's shape, "" on a day with no answer
    css: str  # the mark's class: mark-none, mark-amber, mark-red, mark-emergency, mark-no
    text: str  # "24 Nov: 9/day, red flag"

    @property
    def flag_text(self) -> str:
        return URGENCY_WORDS.get(self.urgency, "")


@dataclass(frozen=True)
class Tick:
    label: str
    y: float


@dataclass(frozen=True)
class Chart:
    item: Item
    start: date
    end: date
    days: tuple[Day, ...]  # every day of the window, oldest first
    lines: tuple[str, ...]  # a polyline's points for each run of consecutive answered days
    baseline: object
    baseline_y: float | None
    ticks: tuple[Tick, ...]
    title: str
    detail: str  # the summary sentence without the item's name
    height: int
    width: int = WIDTH
    left: int = LEFT  # wider when the y-axis is labelled in words

    @property
    def summary(self) -> str:
        """'Stools: 9/day on 24 Nov vs usual 1/day; answered on 12 of 30 days.'"""
        return f"{self.item.label}: {self.detail}"

    @property
    def key(self) -> str:
        return self.item.key

    @property
    def marks_only(self) -> bool:
        """Yes/no items: a row of marked days instead of a line."""
        return self.item.kind == YESNO

    @property
    def answered(self) -> tuple[Day, ...]:
        return tuple(d for d in self.days if d.value is not None)

    @property
    def reported_yes(self) -> bool:
        """A yes/no item answered yes on a day of the window."""
        return self.marks_only and any(d.value is True for d in self.days)

    @property
    def at_usual(self) -> bool:
        """Answered in the window, every day at the usual and never flagged: a flat
        line on the dashed one, nothing a chart would show."""
        answered = self.answered
        return (
            self.baseline is not None
            and bool(answered)
            and all(d.value == self.baseline and not d.urgency for d in answered)
        )

    @property
    def plot_left(self) -> int:
        return self.left

    @property
    def plot_right(self) -> int:
        return self.width - RIGHT

    @property
    def plot_top(self) -> int:
        return TOP

    @property
    def plot_bottom(self) -> int:
        return self.height - BOTTOM

    @property
    def label_y(self) -> int:
        return self.height - 4

    @property
    def tick_label_x(self) -> int:
        return self.left - 4

    @property
    def row_y(self) -> float:
        """The middle of the plot: where a yes/no row's marks sit."""
        return (self.plot_top + self.plot_bottom) / 2

    @property
    def weeks(self) -> tuple[float, ...]:
        """x of every seventh day counting back from the last: the axis's week marks."""
        return tuple(d.x for d in self.days if (self.end - d.date).days % 7 == 0)


def symptom_chart(
    item: Item,
    points: Iterable[tuple[date, object]],
    baseline=None,
    *,
    today: date,
    flags: Iterable[tuple[date, str]] = (),
    tick_words: Callable[[object], str] | None = None,
) -> Chart:
    """The chart of one item over the DAYS days ending `today`.

    1. Each day keeps its worst answer (`worst_of_day`) and its worst flag;
       points and flags outside the window are left out.
    2. The y-axis is the item's scale (`y_range`); a yes/no item is one row.
    3. Consecutive answered days are joined by a line; a day with no answer
       leaves a gap, so a missed day never reads as a normal one.
    4. The baseline, when recorded, is a horizontal line at its value.
       `tick_words` labels the y-axis of a 0-4 score in words ("very severe"
       rather than 4, for the patient), the plot starting further right.
    5. A title and a summary sentence are the text alternative; the days
       themselves (`Chart.answered`) feed a table for screen readers.
    """
    start = window_start(today)
    by_day: dict[date, list] = {}
    for day, value in points:
        if start <= day <= today and value is not None:
            by_day.setdefault(day, []).append(value)
    worst_flag: dict[date, str] = {}
    for day, urgency in flags:
        if start <= day <= today and urgency in URGENCY_WORDS:
            worst_flag[day] = highest((worst_flag.get(day, "green"), urgency))
    values = {day: worst_of_day(item, vs) for day, vs in by_day.items()}
    if item.kind == YESNO:
        baseline = None

    height = MARKS_HEIGHT if item.kind == YESNO else HEIGHT
    top, bottom = TOP, height - BOTTOM
    low, high = y_range(item, values.values(), baseline)
    middle = (low + high) / 2
    if item.kind == COUNT and high % 2:
        middle = None  # no "1.5 a day"
    tick_values = (
        () if item.kind == YESNO else tuple(v for v in (high, middle, low) if v is not None)
    )
    label = _fmt
    if tick_words is not None and item.kind == SCORE:
        label = lambda v: tick_words(int(v))  # noqa: E731  (0, 2 and 4: whole steps)
    tick_labels = [label(v) for v in tick_values]
    # About 6 units a character at the axis's 10.5 px type, and a gap before the plot.
    left = max(LEFT, 8 + 6 * max(map(len, tick_labels), default=0))
    step = (WIDTH - RIGHT - left) / (DAYS - 1)

    def y_of(value) -> float:
        if item.kind == YESNO:
            return (top + bottom) / 2
        share = (float(value) - float(low)) / (float(high) - float(low))
        return round(bottom - share * (bottom - top), 1)

    days = []
    for i in range(DAYS):
        day = start + timedelta(days=i)
        x = round(left + i * step, 1)
        value = values.get(day)
        urgency = worst_flag.get(day) if value is not None else None
        y = y_of(value) if value is not None else None
        said = item.display(value) if value is not None else "no answer"
        flag = f", {URGENCY_WORDS[urgency]}" if urgency else ""
        said_no = item.kind == YESNO and value is False
        days.append(
            Day(
                date=day,
                value=value,
                urgency=urgency,
                x=x,
                y=y,
                mark=_mark(x, y, urgency, small=said_no) if y is not None else "",
                css="mark-no" if said_no else f"mark-{urgency or 'none'}",
                text=f"{short_date(day)}: {said}{flag}",
            )
        )

    lines, run = [], []
    for d in [*days, None]:
        if d is not None and d.value is not None and item.kind != YESNO:
            run.append(f"{d.x},{d.y}")
            continue
        if len(run) > 1:
            lines.append(" ".join(run))
        run = []

    ticks = tuple(Tick(text, y_of(v)) for text, v in zip(tick_labels, tick_values, strict=True))
    return Chart(
        item=item,
        start=start,
        end=today,
        days=tuple(days),
        lines=tuple(lines),
        baseline=baseline,
        baseline_y=y_of(baseline) if baseline is not None else None,
        ticks=ticks,
        title=f"{item.label}, last {DAYS} days ({short_date(start)} to {short_date(today)})",
        detail=_detail(item, days, baseline),
        height=height,
        left=left,
    )


def _detail(item: Item, days: list[Day], baseline) -> str:
    """What a clinician would say: the worst day against the usual, and the flags."""
    answered = [d for d in days if d.value is not None]
    usual = f"usual {item.display(baseline)}" if baseline is not None else "usual not recorded"
    if not answered:
        tail = f"; {usual}" if baseline is not None else ""
        return f"not answered in the last {DAYS} days{tail}."
    of = f"answered on {len(answered)} of {DAYS} days"
    if item.kind == YESNO:
        yes = [short_date(d.date) for d in answered if d.value]
        if not yes:
            return f"no on every day answered ({of})."
        said = ", ".join(yes) if len(yes) <= 4 else f"{len(yes)} days, latest {yes[-1]}"
        parts = [f"yes on {said}", of]
    else:
        pick = min if item.kind == WELLBEING else max
        worst_value = pick(d.value for d in answered)
        worst = [d for d in answered if d.value == worst_value][-1]  # the latest such day
        parts = [f"{item.display(worst.value)} on {short_date(worst.date)}"]
        if item.has_baseline:  # the temperature has none to compare with
            parts[0] += f" vs {usual}"
        latest = answered[-1]
        if latest is not worst:
            parts.append(f"latest {item.display(latest.value)} on {short_date(latest.date)}")
        parts.append(of)
    flagged = [d.urgency for d in answered if d.urgency]
    if flagged:
        days_word = "day" if len(flagged) == 1 else "days"
        parts.append(f"flagged on {len(flagged)} {days_word} (worst {highest(flagged)})")
    return "; ".join(parts) + "."


@dataclass(frozen=True)
class Summary:
    """A patient's charts sorted for a short page: only those that show a change are
    drawn; the rest are named in a line each (see `summarise`)."""

    changed: tuple[Chart, ...]  # symptoms that moved from the usual, or have none
    signs: tuple[Chart, ...]  # warning signs answered yes on a day of the window
    at_usual: tuple[Chart, ...]  # at the usual on every day answered
    unanswered: tuple[Chart, ...]  # a usual recorded, not answered in the window
    quiet_signs: tuple[Chart, ...]  # warning signs answered, never yes

    @property
    def drawn(self) -> tuple[Chart, ...]:
        return self.changed + self.signs


def summarise(charts: Iterable[Chart]) -> Summary:
    """Which charts a patient's page draws and which it names in one line.

    1. A warning sign (yes/no) is drawn only if it was answered yes in the window;
       one answered only no is named among the quiet signs.
    2. A symptom whose every answer was its usual, never flagged, is named among
       those at the usual; one not answered in the window (drawn because a usual is
       recorded) among the unanswered.
    3. Every other chart is drawn: a symptom that moved from its usual, and the
       temperature (it has no usual to compare with). Order is kept throughout.
    """
    groups: dict[str, list[Chart]] = {
        "changed": [], "signs": [], "at_usual": [], "unanswered": [], "quiet_signs": []
    }  # fmt: skip
    for chart in charts:
        if chart.marks_only:
            group = "signs" if chart.reported_yes else "quiet_signs"
        elif not chart.answered:
            group = "unanswered"
        else:
            group = "at_usual" if chart.at_usual else "changed"
        groups[group].append(chart)
    return Summary(**{name: tuple(group) for name, group in groups.items()})


def legend() -> tuple[tuple[str, str, str], ...]:
    """(class, path, words) of each mark, drawn in a 12 x 12 box for the page's key."""
    marks = tuple(
        (f"mark-{urgency or 'none'}", _mark(6, 6, urgency), URGENCY_WORDS.get(urgency, "no flag"))
        for urgency in (None, "amber", "red", "emergency")
    )
    return (*marks, ("mark-no", _mark(6, 6, None, small=True), "answered no (warning signs)"))
