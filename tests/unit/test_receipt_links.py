"""Signed receipt links: only our secrets sign them, they expire, and rotation keeps old
links working while the old secret is still listed."""

from __future__ import annotations

import pytest

from api.receipt_service import wants
from receipts.links import (
    LinkExpired,
    LinkInvalid,
    parse_secrets,
    sign_link,
    verify_link,
)

OLD = "old-receipt-link-secret-0000000000000000"
NEW = "new-receipt-link-secret-1111111111111111"
SID = "session-alpha-T1.x:y-tx_0001"  # dots and colons are fine inside the payload


def test_a_link_names_its_session_until_it_expires() -> None:
    token = sign_link((NEW,), SID, 1_000)
    assert verify_link((NEW,), token, 999).session_id == SID
    with pytest.raises(LinkExpired):
        verify_link((NEW,), token, 1_000)


def test_another_secret_or_an_edited_token_is_invalid() -> None:
    token = sign_link((NEW,), SID, 1_000)
    with pytest.raises(LinkInvalid):
        verify_link((OLD,), token, 0)
    payload, sig = token.split(".")
    forged = sign_link((NEW,), "session-alpha-T2-tx_0001", 1_000).split(".")[0] + "." + sig
    with pytest.raises(LinkInvalid):
        verify_link((NEW,), forged, 0)
    for junk in ("", "abc", "a.b.c", payload, "x" * 600):
        with pytest.raises(LinkInvalid):
            verify_link((NEW,), junk, 0)


def test_an_expired_forgery_is_invalid_not_expired() -> None:
    """The signature is checked first: a forger learns nothing from the expiry."""
    token = sign_link((OLD,), SID, 10)
    with pytest.raises(LinkInvalid):
        verify_link((NEW,), token, 1_000)


def test_rotation_new_signs_both_verify() -> None:
    secrets = parse_secrets(f"{NEW}, {OLD}")
    old_link = sign_link((OLD,), SID, 1_000)
    assert verify_link(secrets, old_link, 0).session_id == SID
    assert verify_link((NEW,), sign_link(secrets, SID, 1_000), 0).session_id == SID


def test_short_secrets_are_refused_and_none_means_off() -> None:
    with pytest.raises(ValueError):
        parse_secrets("short")
    assert parse_secrets("") == ()


def test_the_pdf_is_chosen_by_suffix_or_accept() -> None:
    assert wants(None, pdf_suffix=True) == "pdf"
    assert wants("application/pdf", pdf_suffix=False) == "pdf"
    assert wants("text/html,application/xhtml+xml,*/*;q=0.8", pdf_suffix=False) == "html"
    assert wants(None, pdf_suffix=False) == "html"
