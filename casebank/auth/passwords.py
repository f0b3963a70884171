"""Password policy: at least 12 characters, not built from a common or breached password or
from casebank's own context words, and strong by zxcvbn's estimate (score 3 of 4 or more).

Hashing (argon2) and length checks are Flask-Security's; this module adds the shipped list
checks and the estimate, which work offline (no breach API is reachable from a secure enclave
either). No composition rules: any characters, any mix (ASVS 5.0 6.2.5).
"""

import re
from functools import cache
from importlib import resources

import zxcvbn
from flask_babel import gettext as _
from flask_security import PasswordUtil

LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)
MIN_LENGTH = 12
# zxcvbn's score: 3 is "safely unguessable" (about 10^10 guesses), 4 "very unguessable".
MIN_STRENGTH = 3
# Letters that must remain once the context words are taken out of a password's core.
MIN_OWN_LETTERS = 4


@cache
def word_list(name):
    text = resources.files("casebank").joinpath("data", "security", name)
    lines = text.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def common_passwords():
    return word_list("common-passwords.txt")


def context_words():
    return word_list("context-words.txt")


def built_from_context(password):
    """'Casebank-2026!' or 'GreenCustoms#1': nothing of the person's own beyond our words."""
    rest = password_core(password)
    for word in sorted(context_words(), key=len, reverse=True):
        rest = rest.replace(word, "")
    return len(re.sub(r"[\W\d_]", "", rest)) < MIN_OWN_LETTERS


def password_core(password):
    """'P@ssw0rd2024!' -> 'password': what is left when the usual decorations are removed."""
    lowered = password.lower()
    stripped = re.sub(r"^[\W\d_]+|[\W\d_]+$", "", lowered)
    return (stripped or lowered).translate(LEET)


def is_trivial(password):
    """Repeats and runs: 'aaaaaaaaaaaa', 'abcabcabcabc', '123456789012'."""
    if len(set(password)) <= 3:
        return True
    return password.isdigit() or re.fullmatch(r"(.{1,4})\1+", password) is not None


def password_problems(password, email=None):
    """Why a password is refused: a list of messages, empty when it is acceptable."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(_("Use at least %(count)s characters.", count=MIN_LENGTH))
    candidates = {password.lower(), password.lower().translate(LEET), password_core(password)}
    if candidates & common_passwords() or is_trivial(password):
        problems.append(_("This password is too common or too easy to guess; choose another."))
    elif built_from_context(password):
        problems.append(_("Do not build the password from the name of casebank or its subject."))
    local_part = (email or "").split("@")[0].lower()
    if len(local_part) >= 4 and local_part in password.lower():
        problems.append(_("Do not build the password from your e-mail address."))
    if not problems and too_weak(password, local_part):
        problems.append(_("This password would be easy to guess; add words of your own."))
    return problems


def too_weak(password, local_part):
    # zxcvbn is costly on very long input; past 100 characters a password is long enough.
    known = [*context_words(), local_part]
    return zxcvbn.zxcvbn(password[:100], user_inputs=known)["score"] < MIN_STRENGTH


class CasebankPasswordUtil(PasswordUtil):
    """Flask-Security's validator, with casebank's policy after its own checks."""

    def validate(self, password, is_register, **kwargs):
        problems, normalised = super().validate(password, is_register, **kwargs)
        if problems:
            return problems, normalised
        user = kwargs.get("user")
        email = kwargs.get("email") or getattr(user, "email", None)
        return password_problems(normalised, email) or None, normalised
