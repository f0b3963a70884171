"""Every access rule of casebank, in one place.

ENDPOINT_RULES names the rule that guards each endpoint; enforce_endpoint_rule() applies it
before every request. An endpoint missing from the table answers 404 (fail closed) and makes
the access-matrix test fail, so a new route cannot go live without a declared rule.
"""

import logging

from flask import abort, request

log = logging.getLogger(__name__)


class Anonymous:
    """The public. Accounts and roles arrive with the login work; until then, everyone is this."""

    is_authenticated = False

    def has_role(self, role):
        return False


ANONYMOUS = Anonymous()


def current_user():
    return ANONYMOUS


# The rules: predicates over a user.
def anyone(user):
    return True


def is_officer(user):
    """A vetted enforcement officer: may read the restricted area."""
    return user.is_authenticated and user.has_role("officer")


def can_search_restricted(user):
    """Officers search the restricted index (every published case study, restricted notes too);
    everyone else searches the public one."""
    return is_officer(user)


ENDPOINT_RULES = {
    "static": anyone,
    "health.healthz": anyone,
    "public.home": anyone,
    "public.case_list": anyone,
    "public.case_detail": anyone,
    "public.conventions": anyone,
    "public.hs_codes": anyone,
    "public.about": anyone,
    "public.search": anyone,
    "api.search": anyone,
}
# Rules a whole blueprint enforces on top of the per-endpoint rule (its one guard).
BLUEPRINT_RULES = {
    "restricted": is_officer,
}


def rule_for(endpoint):
    return ENDPOINT_RULES.get(endpoint)


def enforce_endpoint_rule():
    """before_request: deny with 404, never 403, so a denial looks like a missing page."""
    if request.endpoint is None:  # no route matched; Flask answers 404 or 405 itself
        return
    rule = rule_for(request.endpoint)
    if rule is None:
        log.error("endpoint %s has no access rule; denied", request.endpoint)
        abort(404)
    if not rule(current_user()):
        abort(404)


def enforce_blueprint_rule(blueprint_name):
    def guard():
        if not BLUEPRINT_RULES[blueprint_name](current_user()):
            abort(404)

    return guard
