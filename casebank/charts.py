"""Charts as server-rendered SVG (pygal), each served as its own image/svg+xml response and
shown with <img>: pages keep their strict CSP, and a chart in an <img> never runs script.

pygal links a script from a CDN by default, writes an inline script of its settings and its
style inline: js=[] drops the link, an XML filter drops the inline script (tooltips need it,
the table beside each chart has the numbers), and the chart response gets its own CSP
(CHART_CSP) allowing that inline style only.
"""

import sys

import pygal
from flask import Response
from pygal.style import Style

# pygal appends an import hook to sys.meta_path (PluginImportFixer, for its old `pygal.maps.*`
# plugin names) that has no find_spec: every later import of a module that is missing (an
# optional dependency tried in a try/except) then passes through it with an ImportWarning
# (an error under the suite's filterwarnings). casebank imports the world map from
# pygal_maps_world directly, so the hook is taken out.
sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "PluginImportFixer"]

# Only the chart's own inline <style>: no script, no fetch, nothing else.
CHART_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; sandbox"
# Dark ink on white: reads on a screen, on a phone (the SVG scales) and in print.
STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#1b1b1b",
    foreground_strong="#1b1b1b",
    foreground_subtle="#6b6b6b",
    colors=("#1d5a8c", "#c2571a", "#2e7d32", "#6a3d9a"),
    font_family="system-ui, sans-serif",
    label_font_size=14,
    major_label_font_size=14,
    value_font_size=14,
    title_font_size=18,
)
OPTIONS = {
    "js": [],  # no CDN script (and none would run in an <img> anyway)
    "style": STYLE,
    "show_legend": False,
    "print_values": False,
    "disable_xml_declaration": False,
    "width": 800,
    "height": 420,
}
KINDS = {"bar": pygal.Bar, "hbar": pygal.HorizontalBar}


def without_scripts(root):
    """pygal's XML filter: every <script> element removed from the SVG tree."""
    for parent in list(root.iter()):
        for child in list(parent):
            if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    return root


def rendered(chart):
    chart.add_xml_filter(without_scripts)
    return chart.render()


def chart_svg(kind, title, rows):
    """The SVG of a chart of rows (key, label, count, ...): bars, or a world map by country."""
    if kind == "map":
        return world_map_svg(title, rows)
    chart = KINDS[kind](title=title, **OPTIONS)
    if kind == "hbar":  # first row at the top, as the table reads; narrower: labels stay legible
        rows = list(reversed(rows))  # when a phone scales the image down
        chart.width, chart.height = 560, max(240, 34 * len(rows) + 90)
        chart.truncate_label = 26  # the table beside gives each name whole
    chart.x_labels = [str(label) for _key, label, *_values in rows]
    counts = [values[0] for _key, _label, *values in rows]
    chart.add(title, counts)
    chart.y_labels = whole_numbers(max(counts, default=0))
    if kind == "bar" and len(rows) > 12:
        chart.x_label_rotation = 45
    return rendered(chart)


def whole_numbers(top):
    """The value axis of a count: whole numbers, about eight of them (pygal would say 0.2)."""
    step = max(1, -(-top // 8))
    return list(range(0, top + step, step))


def world_map_svg(title, rows):
    from pygal_maps_world.maps import World

    chart = World(title=title, **OPTIONS)
    chart.height = 460
    chart.add(title, {key.lower(): values[0] for key, _label, *values in rows if key})
    return rendered(chart)


def line_chart(title, labels, series, y_range=None):
    """A line per (name, values) of series over labels (the feedback's ratings by month)."""
    options = {**OPTIONS, "width": 640, "height": 300, "show_legend": len(series) > 1}
    chart = pygal.Line(title=title, range=y_range, **options)
    chart.x_labels = labels
    chart.x_label_rotation = 30 if len(labels) > 6 else 0
    for name, values in series:
        chart.add(name, values)
    return rendered(chart)


def svg_response(svg, private=True):
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Content-Security-Policy"] = CHART_CSP
    response.headers["Cache-Control"] = "no-store" if private else "private, max-age=300"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
