"""Driving the case-study pages as a user does: the form's fields from a record, posts with
the page's CSRF token."""

from tests.auth_actions import csrf_token
from tests.factories import case_record


def post_from(client, page, action, data, follow=False):
    """Fetch `page` (for its CSRF token) and post data to `action`, as its form would."""
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(action, data={"csrf_token": token, **data}, follow_redirects=follow)


def form_fields(**overrides):
    """A complete case study as the submission form's fields (lists as the form writes them)."""
    record = case_record(**overrides)
    for name in ("reference", "access_level", "status"):
        record.pop(name, None)
    fields = {}
    for name, value in record.items():
        if name in ("agencies", "source_urls"):
            value = "\n".join(value)
        elif isinstance(value, list) and name != "conventions":
            value = " ".join(value)
        fields[name] = value
    return fields
