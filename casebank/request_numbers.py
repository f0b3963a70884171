"""Whole numbers read from requests: ids in URLs and page numbers, bounded so that no request
can hand the database a number it cannot hold (that answered 500)."""

import re

from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

# Primary keys are INTEGER columns: 32-bit signed on PostgreSQL, the narrowest we run on.
LARGEST_ID = 2**31 - 1
# The longest list (the audit log, 50 a page) stays far inside this; offsets stay small.
LARGEST_PAGE = 100_000
DIGITS = re.compile(r"[0-9]+")


def digits_at_most(largest):
    """A regular expression for the whole numbers 0..largest (no sign, no leading zeros
    beyond the width of largest)."""
    text = str(largest)
    choices = [f"[0-9]{{1,{len(text) - 1}}}"] if len(text) > 1 else []
    for position, digit in enumerate(text):
        lowest = 1 if position == 0 else 0
        if int(digit) > lowest:
            rest = len(text) - position - 1
            tail = f"[0-9]{{{rest}}}" if rest else ""
            choices.append(f"{text[:position]}[{lowest}-{int(digit) - 1}]{tail}")
    choices.append(text)
    return "(?:" + "|".join(choices) + ")"


class DatabaseIdConverter(IntegerConverter):
    """`<int:...>` app-wide: a number no row can have matches no route, so it answers 404.

    The bound is in the pattern, not only in to_python: Werkzeug's matcher answers 405 for a
    POST whose GET twin matched the pattern but failed the converter's range check."""

    regex = digits_at_most(LARGEST_ID)

    def __init__(self, map, fixed_digits=0, min=None, max=LARGEST_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def is_id(number):
    """Whether a row can have this id: ask before handing a number from a form or a query to
    the database, which refuses one beyond its column (that answered 500)."""
    return isinstance(number, int) and 0 < number <= LARGEST_ID


def register_converters(app):
    app.url_map.converters["int"] = DatabaseIdConverter


def page_number(args, last=LARGEST_PAGE):
    """The `page` argument: 1 when missing or not a whole number above 0 (as the lists always
    did), a 400 with a message when beyond `last`."""
    raw = str(args.get("page") or "").strip()
    digits = raw.lstrip("0") if DIGITS.fullmatch(raw) else ""
    if not digits:
        return 1
    # Length first: int() of thousands of digits is slow, and refused past 4,300.
    if len(digits) > len(str(last)) or int(digits) > last:
        raise BadRequest(f"There is no such page: page numbers run from 1 to at most {last:,}.")
    return int(digits)
