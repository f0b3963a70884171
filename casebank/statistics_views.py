"""The statistics page, its charts, CSV tables and JSON, shared by the public blueprint
(published public case studies) and the restricted one (every case study an officer may read,
audited): parse the filters from the URL, ask services.statistics, render."""

import csv
import io

from flask import Response, abort, jsonify, render_template, request

from casebank import charts
from casebank.auth.audit_trail import audit_request
from casebank.csv_cells import csv_row
from casebank.downloads import content_disposition
from casebank.models.vocab import CommodityCategory
from casebank.services import catalogue
from casebank.services import statistics as service


def parsed(officer, what):
    filters = service.StatisticsFilters.from_args(request.args)
    if officer:
        audit_request("restricted.statistics", what=what, filters=filters.active())
    return filters, service.compute(filters, officer)


def page(officer):
    filters, tables = parsed(officer, "page")
    prefix = "restricted" if officer else "public"
    return render_template(
        f"{prefix}/statistics.html",
        filters=filters,
        tables=tables,
        endpoint=prefix + ".statistics",
        chart_endpoint=prefix + ".statistics_chart",
        csv_endpoint=prefix + ".statistics_csv",
        json_endpoint=prefix + ".statistics_json",
        args=filters.active(),
        conventions=[(c.code, c.translated_short_name) for c in catalogue.all_conventions()],
        regions=[(k, v) for k, v in service.REGION_LABELS.items()],
        commodities=CommodityCategory.choices(),
        total=sum(row[2] for row in tables[0].rows),
    )


def chart(name, officer):
    tables = service.compute(service.StatisticsFilters.from_args(request.args), officer)
    table = service.table_named(tables, name)
    if table is None or not table.chart:
        abort(404)
    return charts.svg_response(charts.chart_svg(table.chart, str(table.title), table.rows),
                               private=officer)  # fmt: skip


def table_csv(name, officer):
    if name not in TABLE_NAMES:
        abort(404)
    filters, tables = parsed(officer, f"csv:{name}")
    table = service.table_named(tables, name)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in service.csv_rows(table):
        writer.writerow(csv_row(row))
    response = Response(buffer.getvalue(), mimetype="text/csv")
    response.charset = "utf-8"
    response.headers["Content-Disposition"] = content_disposition(f"casebank-{name}.csv")
    response.headers["Cache-Control"] = "no-store" if officer else "private"
    return response


def as_json(officer):
    filters, tables = parsed(officer, "json")
    response = jsonify(service.as_json(tables, filters))
    response.headers["Cache-Control"] = "no-store" if officer else "private"
    return response


TABLE_NAMES = (
    "year", "convention", "country", "detection_method", "transport_mode",
    "commodity_category", "prosecution_status", "custodial", "fines", "decision",
)  # fmt: skip
