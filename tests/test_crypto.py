"""Envelope encryption: round trip, tamper detection, and master-key rotation by re-wrapping."""

import pytest

from casebank.crypto import (
    DecryptionError,
    Keyring,
    needs_rewrap,
    new_master_key,
    open_sealed,
    rewrap,
    seal,
)


@pytest.fixture
def keyring():
    return Keyring.from_text(new_master_key())


def test_round_trip_and_no_plaintext_in_the_blob(keyring):
    blob = seal(b"canary-ivory-route", keyring, aad=b"case:1")
    assert b"canary" not in blob
    assert open_sealed(blob, keyring, aad=b"case:1") == b"canary-ivory-route"


def test_same_text_seals_differently_each_time(keyring):
    assert seal(b"x", keyring) != seal(b"x", keyring)


@pytest.mark.parametrize("position", [0, 10, 40, 90, -1])
def test_any_changed_byte_is_detected(keyring, position):
    blob = bytearray(seal(b"restricted text", keyring))
    blob[position] ^= 0x01
    with pytest.raises(DecryptionError):
        open_sealed(bytes(blob), keyring)


def test_a_value_moved_to_another_record_does_not_open(keyring):
    blob = seal(b"notes of case 1", keyring, aad=b"case:1")
    with pytest.raises(DecryptionError):
        open_sealed(blob, keyring, aad=b"case:2")


def test_rotation_rewraps_under_the_new_key_and_drops_the_old():
    old = new_master_key()
    blob = seal(b"secret", Keyring.from_text(old))
    both = Keyring.from_text(f"{new_master_key()},{old}")
    assert needs_rewrap(blob, both)
    rotated = rewrap(blob, both)
    assert not needs_rewrap(rotated, both)
    only_new = Keyring(both.keys[:1])
    assert open_sealed(rotated, only_new) == b"secret"
    with pytest.raises(DecryptionError):
        open_sealed(blob, only_new)


@pytest.mark.parametrize("text", ["", "not-base64!!", "c2hvcnQ="])
def test_bad_keys_are_refused(text):
    with pytest.raises(ValueError):
        Keyring.from_text(text)
