"""The identifiers of the domain (HS codes, CAS numbers, ISO countries and currencies, ASHRAE
refrigerant numbers): parsing, normalising and checking them, in one place."""

import re
from functools import cache

import pycountry

_HS_DIGITS = re.compile(r"^\d{4}(\d{2})?$")
_CAS = re.compile(r"^(\d{2,7})-(\d{2})-(\d)$")
_ASHRAE = re.compile(r"^R-\d{2,4}[A-Za-z]{0,3}$")


def hs_digits(text):
    """The digits of an HS code as people write it: '2903.14', '2903 14', '290314'."""
    return re.sub(r"[\s.]", "", text or "")


def normalise_hs_code(text):
    """'290314' -> '2903.14', '2903' -> '2903'; None when it is not a heading or subheading."""
    digits = hs_digits(text)
    if not _HS_DIGITS.match(digits):
        return None
    return digits if len(digits) == 4 else f"{digits[:4]}.{digits[4:]}"


def hs_prefix(text):
    """A normalised prefix for 'this code or anything below it', or None.

    '29' -> '29', '2903' -> '2903', '29037' -> '2903.7', '2903.71' -> '2903.71'.
    """
    digits = hs_digits(text)
    if not digits.isdigit() or not 2 <= len(digits) <= 6:
        return None
    return digits if len(digits) <= 4 else f"{digits[:4]}.{digits[4:]}"


def is_valid_cas(text):
    """A CAS Registry Number with a correct check digit, e.g. '75-45-6'."""
    match = _CAS.match(text or "")
    if not match:
        return False
    body = (match.group(1) + match.group(2))[::-1]
    checksum = sum(i * int(d) for i, d in enumerate(body, start=1)) % 10
    return checksum == int(match.group(3))


def is_valid_ashrae(text):
    return bool(_ASHRAE.match(text or ""))


@cache
def country_names():
    return {c.alpha_2: c.name for c in pycountry.countries}


@cache
def _country_codes_by_name():
    return {name.lower(): code for code, name in country_names().items()}


def country_code_named(name):
    """'Kenya' -> 'KE' (any case); None for a name ISO does not know."""
    return _country_codes_by_name().get(name.lower())


def is_valid_country(code):
    return code in country_names()


def country_name(code):
    return country_names().get(code, code)


@cache
def currency_codes():
    return frozenset(c.alpha_3 for c in pycountry.currencies)


def is_valid_currency(code):
    return code in currency_codes()
