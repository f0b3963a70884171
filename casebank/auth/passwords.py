"""Password policy: at least 12 characters, not built from a common or breached password.

Hashing (argon2) and length checks are Flask-Security's; this module adds the shipped list
check, which works offline (no breach API is reachable from a secure enclave either).
"""

import re
from functools import cache
from importlib import resources

from flask_security import PasswordUtil

LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)
MIN_LENGTH = 12


@cache
def common_passwords():
    text = resources.files("casebank").joinpath("data", "security", "common-passwords.txt")
    lines = text.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


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
        problems.append(f"Use at least {MIN_LENGTH} characters.")
    candidates = {password.lower(), password.lower().translate(LEET), password_core(password)}
    if candidates & common_passwords() or is_trivial(password):
        problems.append("This password is too common or too easy to guess; choose another.")
    local_part = (email or "").split("@")[0].lower()
    if len(local_part) >= 4 and local_part in password.lower():
        problems.append("Do not build the password from your e-mail address.")
    return problems


class CasebankPasswordUtil(PasswordUtil):
    """Flask-Security's validator, with casebank's policy after its own checks."""

    def validate(self, password, is_register, **kwargs):
        problems, normalised = super().validate(password, is_register, **kwargs)
        if problems:
            return problems, normalised
        user = kwargs.get("user")
        email = kwargs.get("email") or getattr(user, "email", None)
        return password_problems(normalised, email) or None, normalised
