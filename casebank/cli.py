"""`flask casebank ...` commands: reference and demo data, documents' text, import/export,
accounts, audit log, keys, sessions, the search index, backup and restore."""

import os
import sys
from datetime import date, timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from casebank import mail, search
from casebank.auth import tokens as api_tokens
from casebank.auth.sessions import purge_ended
from casebank.extensions import db
from casebank.models import RoleName
from casebank.models.encrypted import current_keyring
from casebank.services import (
    accounts,
    audit_heads,
    backup,
    case_transfer,
    demo,
    demo_accounts,
    documents,
    feedback,
    key_rotation,
    reference_data,
)
from casebank.services import audit as audit_log

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
    """Run action; commit once if it succeeds, roll everything back if it fails; then bring the
    search indexes up to date with all it changed (a request does a bounded part of that)."""
    try:
        result = action()
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    search.apply_outbox(max_rounds=10_000)
    return result


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


@casebank.command("extract-text")
def extract_text_command():
    """Extract the searchable text of documents that have none yet.

    Commits batch by batch: safe to interrupt and run again."""
    report = documents.extract_missing_text(db.session.commit)
    click.echo(f"Text extracted from {report.filled} document(s).")
    if report.unreadable:  # a warning, not a failure: `make run` must still serve
        click.echo(
            f"Warning: {report.unreadable} stored file(s) missing or altered (see the log); "
            "their text is still to be extracted.",
            err=True,
        )


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


@casebank.group("user")
def user_commands():
    """Manage accounts."""


@user_commands.command("create")
@click.argument("email")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice([r.value for r in RoleName]),
    help="Repeat for several roles.",
)
@click.option("--name", default="")
@click.option("--partner", metavar="ACRONYM", help="The user's partner organisation (WCO, ...).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--invite", is_flag=True, help="No password: e-mail a one-time link instead.")
def create_user_command(email, roles, name, partner, password_stdin, invite):
    """Create an account. The password comes from standard input or CASEBANK_NEW_USER_PASSWORD,
    never from an argument (arguments show in process lists and shell history)."""
    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif not invite:
        password = os.environ.get("CASEBANK_NEW_USER_PASSWORD")
        if not password:
            raise click.UsageError(
                "give the password on stdin (--password-stdin), in CASEBANK_NEW_USER_PASSWORD, "
                "or use --invite"
            )
    try:
        with current_app.test_request_context():  # url_for in the invitation needs a request
            user = committed(lambda: make_user(email, list(roles), password, name, invite, partner))
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from None
    of_partner = f" of {user.partner.acronym}" if user.partner else ""
    click.echo(f"Created {user.email}{of_partner} with roles {', '.join(roles)}.")


def make_user(email, roles, password, name, invite, partner=None):
    user = accounts.create_user(
        email, roles, password=password, name=name, actor=audit_log.SYSTEM, partner=partner
    )
    if invite:
        accounts.send_invitation(user)
    return user


@casebank.group("token")
def token_commands():
    """Personal access tokens for the API (people make their own on their account page)."""


@token_commands.command("create")
@click.argument("email")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    type=click.Choice(list(api_tokens.SCOPES)),
    help="Repeat for several scopes.",
)
@click.option("--name", default="command line")
@click.option("--days", default=30, type=click.IntRange(1, api_tokens.LONGEST_LIFETIME_DAYS))
def create_token_command(email, scopes, name, days):
    """Create a token for an account and print it (shown once: it is stored only hashed).
    For scripts and CI; the scopes must be ones the account's roles allow."""
    user = accounts.find_user(email)
    if user is None:
        raise click.ClickException(f"no account {email}")
    expires_on = date.today() + timedelta(days=days)
    try:
        with current_app.test_request_context():
            _, secret = committed(
                lambda: api_tokens.create_token(
                    user, name, list(scopes), expires_on, actor=audit_log.SYSTEM
                )
            )
    except api_tokens.TokenInvalid as invalid:
        raise click.ClickException(str(invalid)) from None
    click.echo(secret)


@casebank.command("demo-accounts")
def demo_accounts_command():
    """Create one account per role for trying casebank (development only); running it again
    resets them. Prints each password and TOTP secret once."""
    try:
        issued = committed(demo_accounts.create_demo_accounts)
    except demo_accounts.DemoAccountsRefused as refused:
        raise click.ClickException(str(refused)) from None
    click.echo("Demo accounts (shown once; run demo-accounts again to reset them):")
    for credentials in issued:
        account = credentials.account
        state = "reset" if credentials.reset else "created"
        of_partner = f" of {account.partner}" if account.partner else ""
        click.echo(f"\n  {account.role}{of_partner} ({state})")
        click.echo(f"    e-mail:      {account.email}")
        click.echo(f"    password:    {credentials.password}")
        if credentials.totp_secret:
            click.echo(f"    TOTP secret: {credentials.totp_secret}")
    click.echo(
        "\nA TOTP code: .venv/bin/python -c \"import pyotp; print(pyotp.TOTP('SECRET').now())\""
        "\n(or add the secret to an authenticator app)."
    )


@casebank.command("remind-expiring")
def remind_expiring_command():
    """E-mail officers whose restricted access ends within the reminder window."""
    reminded = committed(accounts.send_expiry_reminders)
    click.echo(f"Reminded {len(reminded)} officer(s).")


@casebank.command("send-mail")
def send_mail_command():
    """Send the mails an SMTP failure left queued (cron, every few minutes)."""
    sent, queued = mail.send_queued()
    click.echo(f"{sent} queued mails sent; {queued} still queued.")
    if queued:
        raise SystemExit(1)  # cron mails its owner: the SMTP server still refuses


def site_request(site_url=None):
    """A request context on the site's address, for the links that mails sent from the command
    line carry (url_for(..., _external=True))."""
    return current_app.test_request_context(base_url=site_url or current_app.config["SITE_URL"])


@casebank.command("send-feedback-digest")
def send_feedback_digest_command():
    """E-mail editors the feedback that arrived in the last 24 hours (run it daily, from cron)."""
    with site_request():  # the mail links to the queue
        recipients = committed(feedback.send_digest)
    click.echo(f"Feedback digest sent to {len(recipients)} editor(s).")


@casebank.command("purge-sessions")
def purge_sessions_command():
    """Delete timed-out sessions (run it daily, e.g. from cron; they are refused anyway)."""
    rows, stored = committed(purge_ended)
    click.echo(f"Purged {rows} timed-out session(s) and {stored} expired stored session(s).")


@casebank.group("audit")
def audit():
    """Check and export the audit log."""


@audit.command("verify")
@click.option(
    "--against",
    "heads_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Also check every head recorded in this file (by `audit head`) is still on the chain.",
)
def audit_verify_command(heads_file):
    """Check the hash chain; exit 1 naming the first broken event."""
    check = audit_log.verify_chain()
    if not check.intact:
        raise click.ClickException(f"audit chain broken at event {check.broken_id}: {check.reason}")
    if heads_file:
        try:
            heads = audit_heads.check_heads(heads_file)
        except ValueError as error:
            raise click.ClickException(str(error)) from None
        if not heads.intact:
            raise click.ClickException(
                f"audit chain rewritten: event {heads.broken_id} {heads.reason}"
            )
        click.echo(f"{heads.checked} recorded heads still on the chain.")
    click.echo(f"audit chain intact: {check.count} events; last hash {check.head_hash}")


@audit.command("head")
@click.option(
    "--file",
    "heads_file",
    type=click.Path(dir_okay=False),
    help=f"Default: {audit_heads.HEADS_FILE} in the data directory.",
)
def audit_head_command(heads_file):
    """Append the chain's head (last event id and hash, the time) to a file outside the
    database and to the log; run it from cron, and keep copies of the file elsewhere."""
    head = audit_heads.record_head(heads_file)
    click.echo(f"audit chain head: event {head['id']} hash {head['hash']}")


@casebank.command("backup")
@click.argument("directory", type=click.Path(file_okay=False))
def backup_command(directory):
    """Write a backup into DIRECTORY (new or empty): a consistent snapshot of the database,
    the file store as stored (restricted files stay encrypted) and a manifest with checksums.
    Never the encryption key or the secret key: keep those apart."""
    try:
        manifest = backup.make_backup(directory)
    except backup.BackupRefused as refused:
        raise click.ClickException(str(refused)) from None
    rows = sum(t["rows"] for t in manifest["tables"].values())
    head = manifest["audit_head"]
    details = {"directory": str(directory), "rows": rows, "audit_head": head["id"]}
    committed(lambda: audit_log.record("backup.written", actor=audit_log.SYSTEM, details=details))
    click.echo(
        f"Backup written to {directory}: {rows} rows, {len(manifest['files'])} files, "
        f"schema {manifest['alembic_revision']}, audit head event {head['id']} {head['hash']}."
    )


@casebank.command("restore")
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
def restore_command(directory):
    """Restore the backup in DIRECTORY into an empty database (migrated to the backup's
    revision) and an empty file store, then rebuild the search index and verify the audit
    chain. A damaged backup or another schema revision is refused and nothing is changed."""
    try:
        report = backup.restore_backup(directory)
    except backup.BackupRefused as refused:
        raise click.ClickException(str(refused)) from None
    click.echo(f"Restored {report.rows} rows in {report.tables} tables and {report.files} files.")
    result = search.rebuild(iterate_with(progress_bar))
    click.echo(f"Search index rebuilt: {entries_text(result)}.")
    check = audit_log.verify_chain()
    if not check.intact:
        raise click.ClickException(f"audit chain broken at event {check.broken_id}: {check.reason}")
    if check.head_hash != (report.audit_head["hash"] or audit_log.GENESIS_HASH):
        raise click.ClickException("the restored audit chain's head is not the backup's")
    click.echo(f"audit chain intact: {check.count} events; last hash {check.head_hash}")
    details = {"directory": str(directory), "rows": report.rows, "files": report.files}
    committed(lambda: audit_log.record("backup.restored", actor=audit_log.SYSTEM, details=details))


@audit.command("export")
@click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default="-")
@click.option("--action", multiple=True, help="Only this action; repeat for several.")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="From this day (UTC) on.")
def audit_export_command(output, action, since):
    """Export audit events as CSV."""
    query = audit_log.filter_events(action=action, since=since)
    count = audit_log.events_csv(query, output)
    click.echo(f"Exported {count} audit events.", err=True)


@casebank.command("rotate-keys")
def rotate_keys_command():
    """Re-encrypt everything under the first key of CASEBANK_ENCRYPTION_KEY ("NEW,OLD").

    Safe to interrupt (Ctrl-C) and run again: finished batches are committed and skipped.
    """
    if len(current_keyring().keys) < 2:
        raise click.UsageError(
            'set CASEBANK_ENCRYPTION_KEY to "NEW,OLD" (the new key first) to rotate'
        )

    def bar(total, label):
        return click.progressbar(length=total, label=label, file=sys.stderr)

    report = key_rotation.rotate_keys(db.session.commit, bar)
    audit_log.record("keys.rotated", actor=audit_log.SYSTEM, details=vars(report))
    db.session.commit()
    # The restricted search index is sealed too: build it anew under the new key (the swap
    # keeps search available meanwhile).
    search.rebuild(iterate_with(progress_bar))
    left = key_rotation.values_left_to_rotate()
    click.echo(
        f"Re-wrapped {report.values} values, {report.totp_secrets} TOTP secrets, "
        f"{report.recovery_codes} recovery codes, {report.files} files; {left} left under old keys."
    )
    if left == 0:
        click.echo("Rotation complete: the old key can now be removed from the configuration.")


@casebank.command("reindex")
@click.option("--if-missing", is_flag=True, help="Do nothing when the search index exists.")
def reindex_command(if_missing):
    """Rebuild the search indexes beside the live ones, then swap (search stays available).

    With --if-missing, rebuild only when the index is missing or cannot be opened."""
    if if_missing and search.index_status()["status"] == "ok":
        click.echo("Search index present; not rebuilt.")
        return
    result = search.rebuild(iterate_with(progress_bar))
    click.echo(f"Search index rebuilt: {entries_text(result)} ({result['generation']}).")


def entries_text(result):
    entries = result["entries"]
    return f"{entries['public']} public and {entries['restricted']} restricted entries"


@casebank.command("check-index")
@click.option("--no-repair", is_flag=True, help="Report drift without repairing it.")
def check_index_command(no_repair):
    """Compare the search indexes with the database and repair what differs (an index that
    cannot be opened is rebuilt)."""
    status = search.index_status()
    if status["status"] != "ok" and no_repair:
        click.echo(f"Search index {status['status']}; run without --no-repair to rebuild it.")
        raise SystemExit(1)
    if status["status"] != "ok":
        click.echo(f"Search index {status['status']}; rebuilding it.")
        result = search.rebuild(iterate_with(progress_bar))
        click.echo(f"Search index rebuilt: {entries_text(result)}.")
        return
    report = search.check_index(repair=not no_repair)
    done = "applied" if report["applied"] else "waiting (not applied)"
    click.echo(f"Queued changes {done}: {report['queued'] or 0}.")
    for audience in ("public", "restricted"):
        counts = report[audience]
        click.echo(
            f"{audience}: {counts['missing']} missing, {counts['extra']} extra, "
            f"{counts['stale']} out of date."
        )
    click.echo(f"Repaired: {report['repaired']} case studies.")


@casebank.command("send-alerts")
@click.option("--site-url", help="Where the site is reached, for the mails' links "
              "(default: CASEBANK_SITE_URL).")  # fmt: skip
def send_alerts_command(site_url):
    """Mail saved searches' new matches (run from cron, e.g. daily: weekly searches wait a
    week). Each match is one its recipient may read when the mail is sent."""
    from casebank.services import saved_searches

    with site_request(site_url):
        sent = committed(saved_searches.send_alerts)
    click.echo(f"{sent} alert mail(s) sent.")
