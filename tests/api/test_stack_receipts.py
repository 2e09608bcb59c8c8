"""Receipts end to end (real API + worker + Temporal + both emulators as processes): the
session writes its receipt to the ledger once it captured; the terminal reads it as JSON;
anyone with the signed link gets the page or the PDF; bad links and early asks are 4xx."""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from receipts.links import parse_secrets, sign_link
from receipts.render import pdf_unavailable_reason
from tests.api.stack import RunningStack, running_stack
from tests.api.support import auth

pytestmark = pytest.mark.timeout(600)

SECRET = "receipt-link-secret-for-the-stack-test-0001"
MASTERCARD = "5555555555554444"  # the hold's card: the terminal claims another


@pytest.fixture(scope="module")
def stack(log_dir: Path) -> Iterator[RunningStack]:
    env = {"CHARGEPAY_RECEIPT_LINK_SECRETS": SECRET, "CHARGEPAY_RECEIPT_LINK_DAYS": "30"}
    with running_stack(log_dir, time_scale=60.0, env=env) as s:
        yield s


def _start(stack: RunningStack, terminal: str, cp: int) -> tuple[str, str]:
    key = stack.new_key(terminal, [cp])
    hold = stack.place_hold(terminal, 5000, card=MASTERCARD)
    body = {
        "terminal_transaction_id": f"rc_{uuid.uuid4().hex[:10]}",
        "charge_point_id": cp,
        "amount": {"amount_minor": 5000, "currency": "EUR"},
        "card_brand": "VISA",
        "card_last4": "4242",
        "authorization_ref": hold,
    }
    r = stack.start(key, body)
    assert r.status_code == 201, r.text
    return r.json()["session_id"], key


def _receipt_rows(stack: RunningStack, session_id: str) -> list[Any]:
    db = stack.stack.config.data_dir / "ledger.sqlite3"
    with sqlite3.connect(db) as conn:
        q = "SELECT operator, number FROM receipts WHERE session_id = ?"
        return conn.execute(q, (session_id,)).fetchall()


@pytest.fixture(scope="module")
def completed(stack: RunningStack) -> tuple[str, str, Any]:
    """A session charged, stopped by its terminal and completed; 409 while it ran."""
    sid, key = _start(stack, "R1", 101)
    stack.wait_state(key, sid, {"charging"})
    early = stack.api.get(f"/v1/sessions/{sid}/receipt", headers=auth(key))
    assert early.status_code == 409 and early.json()["error"] == "session_not_final", early.text
    time.sleep(2)  # a few (scaled) minutes of energy
    assert stack.stop(key, sid).status_code == 200
    final = stack.wait_state(key, sid)
    assert final["state"] == "completed", final
    return sid, key, final


def test_the_terminal_gets_the_itemized_receipt(
    stack: RunningStack, completed: tuple[str, str, Any]
) -> None:
    sid, key, final = completed
    r = stack.api.get(f"/v1/sessions/{sid}/receipt", headers=auth(key))
    assert r.status_code == 200, r.text
    body = r.json()
    receipt = body["receipt"]
    assert receipt["session_id"] == sid and receipt["number_text"].startswith("ALPHA-R-")
    assert receipt["monta_charge_id"] == final["charge_id"]
    assert receipt["short_code"] == final["short_code"]
    # Money: the lines add up to the total; captured and released are the acquirer's.
    assert sum(line["gross_minor"] for line in receipt["lines"]) == receipt["total_minor"]
    assert receipt["total_minor"] == final["price"]["amount_minor"]
    assert receipt["captured_minor"] == final["captured"]["amount_minor"]
    assert receipt["released_minor"] == final["released"]["amount_minor"]
    assert receipt["captured_minor"] + receipt["released_minor"] == 5000
    energy = receipt["lines"][0]
    assert energy["kind"] == "energy" and energy["unit_price_net"] == "0.45"  # price group 11
    assert receipt["price_per_kwh_gross"] == "0.5625"
    # The hold's card, not what the terminal said; the seller from the operators file.
    assert receipt["card"] == {"brand": "MASTERCARD", "last4": "4444"}
    assert receipt["seller"]["vat_id"] == "DK12345678"
    assert receipt["charge_place"]["address"] == "Harbour 1, Copenhagen"
    assert receipt["time_zone"] == "Europe/Copenhagen"
    assert receipt["started_at"].endswith(("+01:00", "+02:00"))
    assert MASTERCARD not in r.text
    assert len(_receipt_rows(stack, sid)) == 1
    assert body["links"]["html"].startswith(str(stack.api.base_url))


def test_the_signed_link_serves_the_page_and_the_pdf_without_a_key(
    stack: RunningStack, completed: tuple[str, str, Any]
) -> None:
    sid, key, _ = completed
    links = stack.api.get(f"/v1/sessions/{sid}/receipt", headers=auth(key)).json()["links"]
    page = stack.api.get(links["html"])
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "ALPHA-R-" in page.text and "DK12345678" in page.text and "<svg" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    if (reason := pdf_unavailable_reason()) is not None:
        pytest.skip(f"no PDF here: {reason}")
    pdf = stack.api.get(links["pdf"])
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    negotiated = stack.api.get(links["html"], headers={"Accept": "application/pdf"})
    assert negotiated.content.startswith(b"%PDF")


def test_forged_and_expired_links_are_refused(
    stack: RunningStack, completed: tuple[str, str, Any]
) -> None:
    sid, _, _ = completed
    forged = sign_link(("another-secret-of-at-least-32-characters",), sid, int(time.time()) + 99)
    r = stack.api.get(f"/v1/receipts/{forged}")
    assert r.status_code == 403 and r.json()["error"] == "receipt_link_invalid"
    expired = sign_link(parse_secrets(SECRET), sid, int(time.time()) - 1)
    r = stack.api.get(f"/v1/receipts/{expired}.pdf")
    assert r.status_code == 410 and r.json()["error"] == "receipt_link_expired"
    r = stack.api.get("/v1/receipts/not-a-link")
    assert r.status_code == 403 and r.json()["error"] == "receipt_link_invalid"


def test_receipts_of_others_unknown_or_unbilled_sessions_are_4xx(
    stack: RunningStack, completed: tuple[str, str, Any]
) -> None:
    sid, _, _ = completed
    other = stack.new_key("R2", [102])
    r = stack.api.get(f"/v1/sessions/{sid}/receipt", headers=auth(other))
    assert r.status_code == 403
    r = stack.api.get("/v1/sessions/session-alpha-R2-nothing/receipt", headers=auth(other))
    assert r.status_code == 404 and r.json()["error"] == "session_not_found"
    body = {
        "terminal_transaction_id": f"rc_{uuid.uuid4().hex[:10]}",
        "charge_point_id": 102,
        "amount": {"amount_minor": 1500, "currency": "EUR"},
        "payment_token": "tok_chargeDeclined",
    }
    declined = stack.start(other, body)
    assert declined.status_code == 402, declined.text
    did = declined.json()["details"]["status"]["session_id"]
    r = stack.api.get(f"/v1/sessions/{did}/receipt", headers=auth(other))
    assert r.status_code == 409 and r.json()["error"] == "no_receipt", r.text


def test_a_business_buyer_gets_a_corrected_receipt_once(
    stack: RunningStack, completed: tuple[str, str, Any]
) -> None:
    sid, key, _ = completed
    first = stack.api.get(f"/v1/sessions/{sid}/receipt", headers=auth(key)).json()
    url = first["links"]["html"] + "/business"
    bad = stack.api.post(url, json={"vat_id": "not a vat id", "name": "Muster GmbH"})
    assert bad.status_code == 422 and bad.json()["error"] == "invalid_vat_id"
    r = stack.api.post(url, json={"vat_id": "de 123.456.789", "name": "Muster GmbH"})
    assert r.status_code == 200, r.text
    corrected = r.json()["corrected"]
    original = first["receipt"]
    assert corrected["corrects"] == original["number_text"]
    assert corrected["number"] > original["number"]
    assert corrected["buyer"] == {"vat_id": "DE123456789", "name": "Muster GmbH"}
    assert corrected["total_minor"] == original["total_minor"]
    assert r.json()["receipt"] == original  # the first stays as it was issued
    again = stack.api.post(url, json={"vat_id": "DE123456789", "name": "Muster GmbH"})
    assert again.status_code == 200 and again.json()["corrected"] == corrected
    other = stack.api.post(url, json={"vat_id": "DK12345678", "name": "Other ApS"})
    assert other.status_code == 409 and other.json()["error"] == "receipt_already_corrected"
    page = stack.api.get(first["links"]["html"])
    assert corrected["number_text"] in page.text and "DE123456789" in page.text
    assert f"replaces {original['number_text']}" in page.text
    forged = stack.api.post(
        "/v1/receipts/not-a-link/business", json={"vat_id": "DE123456789", "name": "x"}
    )
    assert forged.status_code == 403
