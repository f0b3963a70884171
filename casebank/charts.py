"""Small server-side charts (pygal SVG), served as their own image response: pygal's CDN
script is switched off (js=[]) and the SVG's own <style> is allowed by that response's CSP
only, so pages keep their strict CSP. Every chart has a table beside it on the page."""

import re
import sys

import pygal
from flask import Response
from pygal.style import Style

# pygal appends an import hook for its map plugins (pygal.maps.*) to sys.meta_path. It has no
# find_spec, so every later import of a module not yet loaded goes through a deprecated
# fallback (an ImportWarning, an error under pytest's filterwarnings). casebank draws no maps.
sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, pygal.PluginImportFixer)]

# pygal writes its config as an inline script even with js=[]; the SVG is ours (titles and
# numbers, no user text), so the script element is simply dropped (an image runs none anyway).
PYGAL_SCRIPT = re.compile(rb"<script[^>]*>.*?</script>", re.S)
CHART_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; sandbox"
STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1f2328",
    foreground_strong="#1f2328",
    foreground_subtle="#454a50",
    colors=("#2f6f4f", "#8a5a00"),
    font_family="sans-serif",
)


def line_chart(title, labels, series, y_range=None):
    """series: [(name, values)]; returns the SVG as bytes."""
    chart = pygal.Line(
        js=[],
        style=STYLE,
        width=640,
        height=300,
        disable_xml_declaration=False,
        show_legend=len(series) > 1,
        range=y_range,
        x_label_rotation=30 if len(labels) > 6 else 0,
    )
    chart.title = title
    chart.x_labels = labels
    for name, values in series:
        chart.add(name, values)
    return PYGAL_SCRIPT.sub(b"", chart.render())


def svg_response(svg):
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Content-Security-Policy"] = CHART_CSP
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
