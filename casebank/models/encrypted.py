"""Column types that keep text encrypted at rest (casebank.crypto, the app's master keys).

The associated data names the column, so a sealed value moved to another column does not
open. Values are sealed on write and opened on read by SQLAlchemy; SQL can store, load and
compare them for NULL only, which is all casebank asks of free text (search has its index).
"""

import json
from functools import lru_cache

from flask import current_app
from sqlalchemy import LargeBinary
from sqlalchemy.types import TypeDecorator

from casebank.crypto import Keyring, open_sealed, seal


@lru_cache(maxsize=4)
def keyring_from(text):
    return Keyring.from_text(text)


def current_keyring():
    return keyring_from(current_app.config["ENCRYPTION_KEY"])


class EncryptedText(TypeDecorator):
    impl = LargeBinary
    cache_ok = True

    def __init__(self, column_name):
        super().__init__()
        self.column_name = column_name
        self.aad = f"casebank:{column_name}".encode()

    def encode(self, value):
        return value.encode("utf-8")

    def decode(self, raw):
        return raw.decode("utf-8")

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return seal(self.encode(value), current_keyring(), self.aad)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return self.decode(open_sealed(bytes(value), current_keyring(), self.aad))


class EncryptedJSON(EncryptedText):
    """A JSON value (here: lists of strings), encrypted like EncryptedText."""

    cache_ok = True

    def encode(self, value):
        return json.dumps(value, ensure_ascii=False).encode("utf-8")

    def decode(self, raw):
        return json.loads(raw)
