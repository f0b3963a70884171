"""Every access rule of casebank, in one place.

ENDPOINT_RULES names the rule that guards each endpoint; enforce_endpoint_rule() applies it
before every request. An endpoint missing from the table answers 404 (fail closed) and makes
the access-matrix test fail, so a new route cannot go live without a declared rule.
Denials answer 404, like a page that does not exist, except that an anonymous visitor asking
for an account page is sent to log in.
"""

import hmac
import ipaddress
import logging

from flask import Blueprint, abort, current_app, redirect, request, url_for
from flask_login import current_user as _current_user

from casebank.models.vocab import AccessLevel, RoundStatus, WorkflowStatus

log = logging.getLogger(__name__)


def current_user():
    return _current_user._get_current_object()


# The rules: predicates over a user (an anonymous visitor is a user that is not authenticated).
def anyone(user):
    return True


def authenticated(user):
    return user.is_authenticated


def is_officer(user):
    """A vetted enforcement officer whose restricted access has not expired."""
    return user.is_authenticated and user.has_restricted_access()


def is_partner(user):
    return user.is_authenticated and user.has_role("partner")


def is_editor(user):
    return user.is_authenticated and (user.has_role("editor") or user.has_role("admin"))


def is_admin(user):
    return user.is_authenticated and user.has_role("admin")


def can_read_reply_addresses(user):
    """A feedback's reply address (personal data) is shown to admins only, never to editors."""
    return is_admin(user)


def can_read_health_details(user):
    """/healthz details (what the database and the indexes hold) are for the machine itself,
    e.g. a container health check, and for admins. A request relayed by a proxy on the same
    machine comes from loopback too, so one carrying any header a proxy sets is not trusted
    (a proxy told to pass only X-Real-IP, or nothing at all, is the README's warning)."""
    if is_admin(user):
        return True
    forwarded = any(header in request.headers for header in PROXY_HEADERS)
    return not forwarded and is_loopback(request.remote_addr)


def can_read_metrics(user):
    """/metrics: the machine itself (loopback, not proxied: a Prometheus on the host), or a
    scraper sending the bearer token configured in CASEBANK_METRICS_TOKEN."""
    forwarded = any(header in request.headers for header in PROXY_HEADERS)
    if not forwarded and is_loopback(request.remote_addr):
        return True
    expected = current_app.config.get("METRICS_TOKEN")
    sent = request.headers.get("Authorization", "")
    if not expected or not sent.startswith("Bearer "):
        return False
    return hmac.compare_digest(sent[len("Bearer ") :].encode(), expected.encode())


PROXY_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP", "Via", "X-Forwarded-Proto",
                 "X-Forwarded-Host")  # fmt: skip


def is_loopback(address):
    try:
        return ipaddress.ip_address(address or "").is_loopback
    except ValueError:
        return False


# Flask-Security's own pages: logging in and recovering must work for anonymous visitors;
# the rest needs a session. Its views check their own state on top of this.
SECURITY_PUBLIC = {
    "login", "logout", "forgot_password", "reset_password", "verify", "static",
    "two_factor_token_validation", "two_factor_rescue", "two_factor_setup",
    "two_factor_setup_validate", "tf_select", "mf_recovery",
}  # fmt: skip
SECURITY_SIGNED_IN = {"change_password", "mf_recovery_codes"}


# Case studies in the workflow: who may see, edit and move one. A case a user may not see
# answers 404, like a missing one. The transition table (services/cases/workflow.py) names
# these predicates as its "who may".
PARTNER_EDITABLE = (WorkflowStatus.DRAFT, WorkflowStatus.CHANGES_REQUESTED)


def has_organisation(user):
    """A partner who belongs to a partner organisation, and so may submit case studies."""
    return is_partner(user) and user.partner_id is not None


def is_case_submitter(user, case):
    """A partner of the organisation the case study belongs to."""
    return has_organisation(user) and user.partner_id == case.partner_id


def is_case_editor(user, case):
    return is_editor(user)


def can_view_case(user, case):
    """Editors see every case; an organisation sees its own in every status; everyone else
    sees published ones only, restricted ones only as officers."""
    if is_editor(user) or is_case_submitter(user, case):
        return True
    if case.status != WorkflowStatus.PUBLISHED:
        return False
    return case.access_level == AccessLevel.PUBLIC or is_officer(user)


def can_revise_submission(user, case):
    """The organisation edits its own case while it is a draft or changes were asked for."""
    return is_case_submitter(user, case) and case.status in PARTNER_EDITABLE


def can_edit_case(user, case):
    """Editors edit every case (a published one gets a new revision); the organisation its
    own, while it may revise it."""
    return is_editor(user) or can_revise_submission(user, case)


def can_discuss_case(user, case):
    """The conversation: editors and the submitting organisation."""
    return is_editor(user) or is_case_submitter(user, case)


def can_read_internal_notes(user, case):
    return is_editor(user)


def can_search_restricted(user):
    """Officers search the restricted index (every published case study, restricted notes too);
    everyone else searches the public one."""
    return is_officer(user)


# The JSON API. A token opens only what its scopes allow (auth/tokens.TokenPrincipal: an
# officer's powers need "restricted", an editor's "review", a partner's "read" or, to write,
# "submit"); a session user holds no scope, so a cookie never writes through the API.
def has_scope(user, scope):
    return getattr(user, "authenticated_by_token", False) and user.has_scope(scope)


def token_scopes_allowed(user):
    """The scopes this user's roles let an API token hold now (judged again at every call)."""
    allowed = {
        "read": user.is_authenticated,
        "restricted": is_officer(user),
        "submit": has_organisation(user),
        "review": is_editor(user),
    }
    return [scope for scope, holds in allowed.items() if holds]


def api_submitter(user):
    """A partner's token with the submit scope, for an organisation's case studies."""
    return has_organisation(user) and has_scope(user, "submit")


def api_reviewer(user):
    return is_editor(user) and has_scope(user, "review")


def api_case_writer(user):
    """Moving a case through the workflow or writing in its conversation (each case is then
    checked by the workflow's table and can_discuss_case)."""
    return api_submitter(user) or api_reviewer(user)


def case_audience(user, case):
    """Which field set of casebank/schemas/api.CASE_FIELD_SETS this user reads of case (one
    they may view): the workflow's for its editors and organisation, the restricted one for
    officers, else the public one."""
    if is_editor(user) or is_case_submitter(user, case):
        return "workflow"
    return "restricted" if is_officer(user) else "public"


# Award: the annual Green Customs Award (casebank/services/awards). Judges are named per
# round; a judge sees the nominations only while the round is judging, and cannot score one
# from their own organisation. Scores stay hidden until the round closes: then editors, and
# only they, read every judge's scores and the totals.
def is_judge(user):
    """Someone who may be named a judge: an account with the judge role, or an editor."""
    return user.is_authenticated and (user.has_role("judge") or is_editor(user))


def is_round_judge(user, award_round):
    return user.is_authenticated and any(j.id == user.id for j in award_round.judges)


def can_judge_round(user, award_round):
    """A round's judge, while it is judging: the only time a judge reads its nominations."""
    return award_round.status == RoundStatus.JUDGING and is_round_judge(user, award_round)


# Why a judge may not score a nomination (None: they may).
NOMINATING_ORGANISATION = "nominating_organisation"
CASE_ORGANISATION = "case_organisation"
DECLARED = "declared"


def judging_conflict(user, nomination):
    """A conflict of interest of this judge on this nomination, shown as an exclusion."""
    if user.partner_id is not None:
        if user.partner_id == nomination.partner_id:
            return NOMINATING_ORGANISATION
        if user.partner_id == nomination.case_study.partner_id:
            return CASE_ORGANISATION
    if any(c.judge_id == user.id for c in nomination.conflicts):
        return DECLARED
    return None


def can_score(user, nomination):
    return can_judge_round(user, nomination.round) and judging_conflict(user, nomination) is None


def can_read_round_results(user, award_round):
    """Every judge's scores and the totals: editors, once the round has closed."""
    return is_editor(user) and award_round.status in (RoundStatus.CLOSED, RoundStatus.ANNOUNCED)


def can_nominate(user):
    """Partners of an organisation and editors put case studies forward."""
    return has_organisation(user) or is_editor(user)


def is_announced(award_round):
    """What the public sees of the award: announced rounds only."""
    return award_round.status == RoundStatus.ANNOUNCED


ENDPOINT_RULES = {
    "static": anyone,
    "health.healthz": anyone,
    # Operations: readiness for load balancers; metrics for the machine or a token.
    "health.readyz": anyone,
    "metrics.metrics": can_read_metrics,
    "public.home": anyone,
    "public.case_list": anyone,
    "public.case_detail": anyone,
    "public.conventions": anyone,
    "public.hs_codes": anyone,
    "public.about": anyone,
    "public.document_list": anyone,
    "public.document_detail": anyone,
    "public.document_download": anyone,
    "public.set_language": anyone,
    "account.request_access": anyone,
    "account.request_sent": anyone,
    "account.profile": authenticated,
    "account.end_session": authenticated,
    "account.landing": authenticated,
    "account.recovery_codes_once": authenticated,
    "admin.access_requests": is_admin,
    "admin.access_request": is_admin,
    "admin.decide_access_request": is_admin,
    "admin.users": is_admin,
    "admin.user": is_admin,
    "admin.update_user": is_admin,
    "admin.end_user_sessions": is_admin,
    "admin.set_user_active": is_admin,
    "admin.audit_log": is_admin,
    "admin.audit_export": is_admin,
    "admin.set_user_partner": is_admin,
    "restricted.home": is_officer,
    "restricted.case_list": is_officer,
    "restricted.case_detail": is_officer,
    "restricted.risk_indicator_list": is_officer,
    "restricted.risk_indicator_detail": is_officer,
    "restricted.document_list": is_officer,
    "restricted.document_detail": is_officer,
    "restricted.document_download": is_officer,
    "restricted.version_download": is_officer,
    "editorial.document_list": is_editor,
    "editorial.new_document": is_editor,
    "editorial.edit_document": is_editor,
    "editorial.update_document": is_editor,
    "editorial.publication": is_editor,
    "editorial.download": is_editor,
    # Case studies: each view checks the case itself too (case_pages.case_or_404).
    "partner.case_list": is_partner,
    "partner.new_case": is_partner,
    "partner.case_page": is_partner,
    "partner.edit_case": is_partner,
    "partner.transition": is_partner,
    "partner.post_message": is_partner,
    "partner.compare": is_partner,
    "partner.attach_file": is_partner,
    "partner.download_attachment": is_partner,
    "editorial.case_queue": is_editor,
    "editorial.new_case": is_editor,
    "editorial.case_review": is_editor,
    "editorial.save_case": is_editor,
    "editorial.case_transition": is_editor,
    "editorial.case_message": is_editor,
    "editorial.assign_case": is_editor,
    "editorial.compare_revisions": is_editor,
    "editorial.restore_revision": is_editor,
    **{f"security.{name}": anyone for name in SECURITY_PUBLIC},
    **{f"security.{name}": authenticated for name in SECURITY_SIGNED_IN},
    "public.search": anyone,
    "api.search": anyone,
    "api.case_list": anyone,
    "api.case_detail": anyone,
    "api.create_case": api_submitter,
    "api.update_case": api_case_writer,
    "api.case_status": anyone,  # the case's own check (can_discuss_case) answers 404
    "api.case_transition": api_case_writer,
    "api.post_message": api_case_writer,
    "api.attach_file": api_submitter,
    "api.document_list": anyone,
    "api.document_detail": anyone,
    "api.document_file": anyone,
    "api.conventions": anyone,
    "api.hs_codes": anyone,
    "api.openapi": anyone,
    "api.reference": anyone,
    "account.create_token": authenticated,
    "account.revoke_token": authenticated,
    # Insight (issue 15): exports, saved searches and alerts, statistics.
    "public.case_list_export": anyone,
    "public.search_export": anyone,  # officers' searches export their index, audited
    "restricted.case_list_export": is_officer,
    "saved_searches.index": authenticated,
    "saved_searches.new": authenticated,
    "saved_searches.create": authenticated,
    "saved_searches.edit": authenticated,  # each view checks the search is the user's own
    "saved_searches.update": authenticated,
    "saved_searches.delete": authenticated,
    "saved_searches.unsubscribe": anyone,  # the signed token in its URL is the credential
    "public.statistics": anyone,  # published public case studies only
    "public.statistics_chart": anyone,
    "public.statistics_csv": anyone,
    "public.statistics_json": anyone,
    "restricted.statistics": is_officer,
    "restricted.statistics_chart": is_officer,
    "restricted.statistics_csv": is_officer,
    "restricted.statistics_json": is_officer,
    # Award (each view checks the round or nomination itself too: judges, states, conflicts).
    "editorial.award_rounds": is_editor,
    "editorial.new_award_round": is_editor,
    "editorial.award_round": is_editor,
    "editorial.edit_award_round": is_editor,
    "editorial.award_transition": is_editor,
    "editorial.award_results": is_editor,
    "editorial.nominate": is_editor,
    "editorial.feature_case": is_editor,
    "judging.rounds": is_judge,
    "judging.round": is_judge,
    "judging.nomination": is_judge,
    "judging.declare_conflict": is_judge,
    "partner.award_rounds": is_partner,
    "partner.nominate": is_partner,
    "public.awards": anyone,
    "public.certificate": anyone,
    "public.feed": anyone,
    "public.sitemap": anyone,
    # Document versions, previews and feedback (issue 13). Public ones read public documents
    # only (services.documents.visible_documents); the reply address is for admins only.
    "public.document_feedback": anyone,
    "public.site_feedback": anyone,
    "public.version_download": anyone,
    "public.version_preview": anyone,
    "editorial.new_version": is_editor,
    "editorial.version_download": is_editor,
    "editorial.version_preview": is_editor,
    "editorial.feedback_queue": is_editor,
    "editorial.moderate_feedback": is_editor,
    "editorial.reply_to_feedback": is_editor,
    "editorial.document_feedback": is_editor,
    "editorial.feedback_chart": is_editor,
    "editorial.feedback_csv": is_editor,
    "editorial.mark_addressed": is_editor,
}
# Rules a whole blueprint enforces on top of the per-endpoint rule (its one guard).
BLUEPRINT_RULES = {
    "restricted": is_officer,
    "admin": is_admin,
    "editorial": is_editor,
    "partner": is_partner,
    "judging": is_judge,
}
# Where an anonymous visitor denied by these rules is sent to log in instead of a 404.
LOGIN_FIRST = {authenticated, is_admin, is_officer, is_editor, is_partner, is_judge}


def rule_for(endpoint):
    return ENDPOINT_RULES.get(endpoint)


def deny(rule):
    user = current_user()
    # The path only: a query string may hold an officer's search words (ASVS 5.0 16.3.2).
    who = f"user {user.id}" if user.is_authenticated else "an anonymous visitor"
    log.warning("denied %s %s to %s (%s)", request.method, request.path, who, rule.__name__)
    api = request.blueprint == "api"  # a program: no login page to go to
    if not user.is_authenticated and rule in LOGIN_FIRST and request.method == "GET" and not api:
        # Only the path goes into next=, and only for pages of this site.
        return redirect(url_for("security.login", next=request.full_path.rstrip("?")))
    abort(404)


def enforce_endpoint_rule():
    """before_request: apply the endpoint's declared rule."""
    if request.endpoint is None:  # no route matched; Flask answers 404 or 405 itself
        return None
    rule = rule_for(request.endpoint)
    if rule is None:
        log.error("endpoint %s has no access rule; denied", request.endpoint)
        abort(404)
    if not rule(current_user()):
        return deny(rule)
    return None


def guarded_blueprint(name, import_name, url_prefix):
    """A blueprint whose every page needs BLUEPRINT_RULES[name] (its one guard) and is never
    cached by browsers or proxies."""
    from casebank.security_headers import never_cache

    blueprint = Blueprint(name, import_name, url_prefix=url_prefix)
    blueprint.before_request(enforce_blueprint_rule(name))
    blueprint.after_request(never_cache)
    return blueprint


def enforce_blueprint_rule(blueprint_name):
    def guard():
        rule = BLUEPRINT_RULES[blueprint_name]
        if not rule(current_user()):
            return deny(rule)
        return None

    return guard
