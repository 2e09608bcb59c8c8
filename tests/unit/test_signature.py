"""Monta's documented webhook signature test vector and rotation."""

from core.signature import sign, verify

VECTOR = "sha1=ff401a885877ab7e4665f9e045f9ee2d5876fdb9"


def test_documented_vector() -> None:
    assert sign("top-secret", b'{"foo":"bar"}') == VECTOR


def test_spaced_body_does_not_match() -> None:
    assert sign("top-secret", b'{"foo": "bar"}') != VECTOR


def test_verify_accepts_either_secret_during_rotation() -> None:
    assert verify(["new-secret", "top-secret"], b'{"foo":"bar"}', VECTOR)
    assert not verify(["new-secret"], b'{"foo":"bar"}', VECTOR)
    assert not verify(["top-secret"], b'{"foo":"bar"}', None)
    assert not verify(["top-secret"], b'{"foo":"baz"}', VECTOR)
