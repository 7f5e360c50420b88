"""The care team's charts and check-in lines, drawn in Python: a patient page shows
27 charts of 30 days and a page of check-ins, and the template language would spend
most of the page's time on their tens of thousands of small substitutions. The
markup is what templates/alerts/_chart.html drew, attribute for attribute."""

from django import template
from django.utils.dateformat import format as date_format
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from patients.charts import Chart
from patients.templatetags.symptoms import display

register = template.Library()


@register.simple_tag
def chart_figure(chart: Chart):
    """{% chart_figure chart %}: one item's last 30 days as an inline SVG, with its
    text alternative (patients/charts.py)."""
    item, key = chart.item, chart.key
    answered = chart.answered
    left, right, bottom = chart.plot_left, chart.plot_right, chart.plot_bottom
    axis = [
        f'<line class="chart-grid" x1="{left}" x2="{right}" y1="{t.y}" y2="{t.y}"/>'
        f'<text x="{chart.tick_label_x}" y="{t.y}" text-anchor="end" '
        f'dominant-baseline="middle">{escape(t.label)}</text>'
        for t in chart.ticks
    ]
    if chart.marks_only:
        axis.append(
            f'<line class="chart-grid" x1="{left}" x2="{right}" '
            f'y1="{chart.row_y}" y2="{chart.row_y}"/>'
        )
    axis += [
        f'<line class="chart-week" x1="{x}" x2="{x}" y1="{bottom}" y2="{bottom + 3}"/>'
        for x in chart.weeks
    ]
    axis.append(
        f'<text x="{left}" y="{chart.label_y}" text-anchor="start">'
        f"{date_format(chart.start, 'j M')}</text>"
        f'<text x="{right}" y="{chart.label_y}" text-anchor="end">'
        f"{date_format(chart.end, 'j M')}</text>"
    )
    plot = []
    usual = display(item, chart.baseline) if chart.baseline is not None else None
    if chart.baseline_y is not None:
        plot.append(
            f'<line class="chart-baseline" x1="{left}" x2="{right}" y1="{chart.baseline_y}" '
            f'y2="{chart.baseline_y}"><title>Usual: {escape(usual)}'
            "</title></line>"
        )
    plot += [f'<polyline class="chart-line" points="{escape(p)}"/>' for p in chart.lines]
    plot += [
        f'<path class="mark {d.css}" d="{d.mark}"><title>{escape(d.text)}</title></path>'
        for d in answered
    ]
    rows = "".join(
        f'<tr><th scope="row">{date_format(d.date, "D j M")}</th>'
        f"<td>{escape(display(item, d.value))}</td><td>{escape(d.flag_text or 'none')}</td></tr>"
        for d in answered
    )
    caption = format_html(
        "{} by day, worst answer of each day{}. Days not listed had no answer.",
        item.label,
        f"; usual {usual}" if usual is not None else "",
    )
    return format_html(
        '<figure class="chart{}" id="chart-{}">\n'
        '  <figcaption class="chart-caption"><strong>{}</strong>: {}</figcaption>\n'
        '  <svg class="chart-svg" viewBox="0 0 {} {}" width="{}" height="{}" role="img" '
        'aria-labelledby="chart-{}-title" focusable="false">\n'
        '    <title id="chart-{}-title">{}</title>\n'
        "    <desc>{}</desc>\n"
        '    <g class="chart-axis">{}</g>\n'
        "    {}\n"
        "  </svg>\n"
        '  <div class="visually-hidden"><table>\n'
        "    <caption>{}</caption>\n"
        '    <thead><tr><th scope="col">Day</th><th scope="col">Answer</th>'
        '<th scope="col">Flag</th></tr></thead>\n'
        "    <tbody>{}</tbody>\n"
        "  </table></div>\n"
        "</figure>",
        " chart-marks" if chart.marks_only else "",
        key,
        item.label,
        chart.detail,
        chart.width,
        chart.height,
        chart.width,
        chart.height,
        key,
        key,
        chart.title,
        chart.summary,
        mark_safe("".join(axis)),  # noqa: S308 - built above from numbers and escaped text
        mark_safe("".join(plot)),  # noqa: S308
        caption,
        mark_safe(rows),  # noqa: S308
    )


@register.simple_tag
def answered_line(check_in):
    """{% answered_line check_in %}: 'Stools: 9/day · Fatigue: 2 (moderate)', each
    answered item in catalogue order, or 'No items answered.'"""
    parts = [f"{item.label}: {display(item, value)}" for item, value in check_in.answered()]
    return " · ".join(parts) if parts else "No items answered."
