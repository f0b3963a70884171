"""Encryption at rest with AES-256-GCM (the `cryptography` package), envelope style.

Each sealed value has its own random data key; the data key is wrapped by a master key from
configuration. Rotating the master key re-wraps data keys only (rewrap()), so it is cheap and
can stop and resume anywhere. A sealed blob names the master key that wrapped it.

Layout: MAGIC(4) | key id(8) | wrap nonce(12) | wrapped data key(48) | nonce(12) | ciphertext
"""

import base64
import hashlib
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"CBE1"
KEY_ID_LEN, NONCE_LEN, WRAPPED_LEN, TAG_LEN = 8, 12, 48, 16
HEADER_LEN = len(MAGIC) + KEY_ID_LEN + NONCE_LEN + WRAPPED_LEN
SEALED_OVERHEAD = HEADER_LEN + NONCE_LEN + TAG_LEN  # len(seal(x)) - len(x), for any x


class DecryptionError(Exception):
    """The blob was altered, is not ours, or its master key is not configured."""


def new_master_key():
    """A fresh master key, as text for CASEBANK_ENCRYPTION_KEY."""
    return base64.urlsafe_b64encode(AESGCM.generate_key(bit_length=256)).decode()


def key_id(key):
    return hashlib.sha256(b"casebank-key-id" + key).digest()[:KEY_ID_LEN]


@dataclass(frozen=True)
class Keyring:
    """The master keys: the first seals, all of them open (so rotation can be gradual)."""

    keys: tuple[bytes, ...]

    @classmethod
    def from_text(cls, text):
        """'KEY[,OLDKEY...]', each the URL-safe base64 of 32 random bytes."""
        keys = []
        for part in (p.strip() for p in (text or "").split(",")):
            if not part:
                continue
            try:
                key = base64.urlsafe_b64decode(part.encode())
            except ValueError as error:
                raise ValueError("an encryption key is not valid base64") from error
            if len(key) != 32:
                raise ValueError("an encryption key must decode to 32 bytes")
            keys.append(key)
        if not keys:
            raise ValueError("no encryption key given")
        return cls(tuple(keys))

    @property
    def primary_id(self):
        return key_id(self.keys[0])

    def by_id(self, wanted):
        for key in self.keys:
            if key_id(key) == wanted:
                return key
        raise DecryptionError("the master key for this value is not configured")


def seal(plaintext, keyring, aad=b""):
    data_key = AESGCM.generate_key(bit_length=256)
    nonce, wrap_nonce = os.urandom(NONCE_LEN), os.urandom(NONCE_LEN)
    ciphertext = AESGCM(data_key).encrypt(nonce, plaintext, aad)
    master_id = keyring.primary_id
    wrapped = AESGCM(keyring.keys[0]).encrypt(wrap_nonce, data_key, MAGIC + master_id)
    return MAGIC + master_id + wrap_nonce + wrapped + nonce + ciphertext


def _parts(blob):
    if len(blob) < HEADER_LEN + NONCE_LEN or not blob.startswith(MAGIC):
        raise DecryptionError("not a casebank sealed value")
    at = len(MAGIC)
    master_id = blob[at : at + KEY_ID_LEN]
    at += KEY_ID_LEN
    wrap_nonce = blob[at : at + NONCE_LEN]
    at += NONCE_LEN
    wrapped = blob[at : at + WRAPPED_LEN]
    at += WRAPPED_LEN
    return master_id, wrap_nonce, wrapped, blob[at : at + NONCE_LEN], blob[at + NONCE_LEN :]


def _unwrap(master_id, wrap_nonce, wrapped, keyring):
    try:
        return AESGCM(keyring.by_id(master_id)).decrypt(wrap_nonce, wrapped, MAGIC + master_id)
    except InvalidTag as error:
        raise DecryptionError("the data key does not authenticate") from error


def open_sealed(blob, keyring, aad=b""):
    master_id, wrap_nonce, wrapped, nonce, ciphertext = _parts(blob)
    data_key = _unwrap(master_id, wrap_nonce, wrapped, keyring)
    try:
        return AESGCM(data_key).decrypt(nonce, ciphertext, aad)
    except InvalidTag as error:
        raise DecryptionError("the value was altered or belongs elsewhere") from error


def sealed_key_id(blob):
    return _parts(blob)[0]


def needs_rewrap(blob, keyring):
    return sealed_key_id(blob) != keyring.primary_id


def rewrap(blob, keyring):
    """The same ciphertext with its data key wrapped by the primary master key."""
    master_id, wrap_nonce, wrapped, nonce, ciphertext = _parts(blob)
    if master_id == keyring.primary_id:
        return blob
    data_key = _unwrap(master_id, wrap_nonce, wrapped, keyring)
    new_id, new_nonce = keyring.primary_id, os.urandom(NONCE_LEN)
    new_wrapped = AESGCM(keyring.keys[0]).encrypt(new_nonce, data_key, MAGIC + new_id)
    return MAGIC + new_id + new_nonce + new_wrapped + nonce + ciphertext
