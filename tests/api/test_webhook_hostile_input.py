"""Hostile input to Monta's webhook route never gives a 500 and never reveals which
operators exist ([3 of 7], findings 2 and 5): a clear 4xx with a machine-readable body."""

from __future__ import annotations

import json
import uuid

from core import signature
from tests.api.conftest import ApiHarness
from tests.api.support import ALPHA_SECRET, charge_entry, signed_batch

URL = "/v1/webhooks/monta/alpha"


def _signed(raw: bytes) -> dict[str, str]:
    return {signature.HEADER: signature.sign(ALPHA_SECRET, raw), "Content-Type": "application/json"}


async def test_a_non_ascii_signature_is_401_not_500(api_app: ApiHarness) -> None:
    raw, _ = signed_batch([])
    # Raw latin-1 bytes, as an attacker's client sends them (httpx refuses a non-ASCII str).
    headers = [
        (signature.HEADER.encode(), b"sha1=\xe9\xe9"),
        (b"content-type", b"application/json"),
    ]
    r = await api_app.http.post(URL, content=raw, headers=headers)
    assert r.status_code == 401 and r.json()["error"] == "invalid_signature"


async def test_deeply_nested_json_is_400_not_500(api_app: ApiHarness) -> None:
    raw = ("[" * 5000 + "]" * 5000).encode()
    r = await api_app.http.post(URL, content=raw, headers=_signed(raw))
    assert r.status_code == 400 and r.json()["error"] == "invalid_payload"


async def test_an_unknown_operator_answers_like_a_bad_signature(api_app: ApiHarness) -> None:
    raw, headers = signed_batch([])
    unknown = await api_app.http.post("/v1/webhooks/monta/zulu", content=raw, headers=headers)
    wrong, _ = signed_batch([], "wrong")
    known = await api_app.http.post(URL, content=raw, headers={**headers, **_signed(b"x")})
    assert unknown.status_code == known.status_code == 401
    assert unknown.json() == known.json()
    assert wrong  # the body itself is irrelevant: only the operator differs


async def test_negative_readings_and_huge_ids_count_as_unreadable(api_app: ApiHarness) -> None:
    sid = f"session-alpha-W{uuid.uuid4().hex[:6]}-tx"
    negative_kwh = charge_entry(sid, 7, "-1", "2026-01-01T10:00:00Z")
    negative_price = charge_entry(sid, 8, "1", "2026-01-01T10:00:00Z")
    negative_price["payload"]["price"] = "-3.00"
    huge_id = charge_entry(sid, 9, "1", "2026-01-01T10:00:00Z")
    huge_id["payload"]["id"] = int("9" * 30)
    raw = json.dumps({"entries": [negative_kwh, negative_price, huge_id]}).encode()
    r = await api_app.http.post(URL, content=raw, headers=_signed(raw))
    assert r.status_code == 200, r.text
    assert r.json()["unreadable"] == 3 and r.json()["signalled"] == 0
