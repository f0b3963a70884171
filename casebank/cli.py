"""`flask casebank ...` commands: reference data, demo data, import, export, search index."""

import sys

import click
from flask.cli import AppGroup

from casebank import search
from casebank.extensions import db
from casebank.services import case_transfer, demo, reference_data

casebank = AppGroup("casebank", help="casebank data commands.")


def progress_bar(items, label=None):
    """click's progress bar on a terminal, plain iteration when piped (keeps logs clean)."""
    items = list(items)
    if not sys.stderr.isatty():
        return items
    return click.progressbar(items, label=label, file=sys.stderr)


def iterate_with(progress):
    def run(items, label=None):
        bar = progress(items, label)
        if hasattr(bar, "__enter__"):
            with bar as wrapped:
                yield from wrapped
        else:
            yield from bar

    return run


def committed(action):
    """Run action; commit once if it succeeds, roll everything back if it fails."""
    try:
        result = action()
        db.session.commit()
        return result
    except Exception:
        db.session.rollback()
        raise


@casebank.command("load-reference")
def load_reference_command():
    """Load or update the conventions and HS codes shipped with casebank."""
    counts = committed(reference_data.load_reference)
    click.echo(f"{counts['conventions']} conventions, {counts['hs_codes']} HS codes loaded.")


@casebank.command("load-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when case studies already exist.")
def load_demo_command(if_empty):
    """Load reference data, partners and the demo case studies."""
    if if_empty and demo.has_case_studies():
        click.echo("Case studies already present; demo data not loaded.")
        return
    result = run_import(lambda: demo.load_demo(iterate_with(progress_bar)))
    click.echo(f"Demo data loaded: {result.created} created, {result.updated} updated.")


@casebank.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
@click.option(
    "--format", "fmt", type=click.Choice(case_transfer.FORMATS), help="Default: by suffix."
)
def import_command(file, fmt):
    """Import case studies from a JSON or CSV FILE; a file with any error writes nothing."""

    def action():
        records = case_transfer.read_records(file, case_transfer.format_of(file.name, fmt))
        return case_transfer.import_cases(records, iterate_with(progress_bar))

    result = run_import(action)
    click.echo(f"Imported: {result.created} created, {result.updated} updated.")


def run_import(action):
    try:
        return committed(action)
    except case_transfer.ImportRejected as rejected:
        for error in rejected.errors:
            click.echo(str(error), err=True)
        raise click.ClickException(str(rejected)) from None


@casebank.command("export")
@click.option("--format", "fmt", type=click.Choice(case_transfer.FORMATS), default="json")
@click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default="-")
@click.option(
    "--public-only", is_flag=True, help="Only published public case studies, no restricted notes."
)
def export_command(fmt, output, public_only):
    """Export case studies in the format import accepts."""
    records = case_transfer.export_records(public_only, iterate_with(progress_bar))
    case_transfer.write_records(records, output, fmt)
    click.echo(f"Exported {len(records)} case studies.", err=True)


@casebank.command("reindex")
@click.option("--if-missing", is_flag=True, help="Do nothing when the search index exists.")
def reindex_command(if_missing):
    """Rebuild the search indexes beside the live ones, then swap (search stays available).

    With --if-missing, rebuild only when the index is missing or cannot be opened."""
    if if_missing and search.index_status()["status"] == "ok":
        click.echo("Search index present; not rebuilt.")
        return
    result = search.rebuild(iterate_with(progress_bar))
    click.echo(
        f"Search index rebuilt: {result['documents']} case studies ({result['generation']})."
    )


@casebank.command("check-index")
@click.option("--no-repair", is_flag=True, help="Report drift without repairing it.")
def check_index_command(no_repair):
    """Compare the search indexes with the database and repair what differs (an index that
    cannot be opened is rebuilt)."""
    status = search.index_status()
    if status["status"] != "ok":
        click.echo(f"Search index {status['status']}; rebuilding it.")
        result = search.rebuild(iterate_with(progress_bar))
        click.echo(f"Search index rebuilt: {result['documents']} case studies.")
        return
    report = search.check_index(repair=not no_repair)
    click.echo(f"Queued changes applied: {report['queued'] or 0}.")
    for audience in ("public", "restricted"):
        counts = report[audience]
        click.echo(
            f"{audience}: {counts['missing']} missing, {counts['extra']} extra, "
            f"{counts['stale']} out of date."
        )
    click.echo(f"Repaired: {report['repaired']} case studies.")
