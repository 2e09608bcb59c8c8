"""I1, one hold pays for one session, through the real stack (API + worker + Temporal + both
emulators as processes): any other session that presents the same hold, from the same
terminal, another terminal or another operator, is refused with 409 authorization_in_use
before Monta is called, and the hold is left to the session that owns it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.api.stack import RunningStack, hold_start_body

pytestmark = pytest.mark.timeout(600)


def _charges(stack: RunningStack, session_id: str) -> list[Any]:
    return [c for c in stack.monta_truth()["charges"] if c["partnerExternalId"] == session_id]


def _session_of(answer: httpx.Response) -> str:
    body = answer.json()
    return str(body.get("session_id") or body["details"]["status"]["session_id"])


def test_one_hold_pays_for_one_session_whoever_presents_it(stack: RunningStack) -> None:
    owner_key = stack.new_key("H1", [101, 102])
    hold = stack.place_hold("H1", 1500)
    first = stack.start(owner_key, hold_start_body(hold, 101))
    assert first.status_code == 201, first.text
    owner = first.json()["session_id"]
    # The same terminal again, another terminal, another operator: all refused.
    others = [
        (owner_key, hold_start_body(hold, 102)),
        (stack.new_key("H2", [103]), hold_start_body(hold, 103)),
        (stack.new_key("H3", [201], operator="bravo"), hold_start_body(hold, 201)),
    ]
    for key, body in others:
        refused = stack.start(key, body)
        assert refused.status_code == 409, refused.text
        assert refused.json()["error"] == "authorization_in_use"
        assert _charges(stack, _session_of(refused)) == []  # Monta never called
    # The owner's session is untouched by the refusals and settles its own hold (stopped
    # once it charges, so there is something to capture).
    stack.wait_state(owner_key, owner, {"charging"})
    stack.stop(owner_key, owner)
    final = stack.wait_state(owner_key, owner)
    assert final["state"] == "completed", final
    holds = [
        h for h in stack.acquirer_truth()["holds"] if hold in (h["id"], h.get("authorization_ref"))
    ]
    captures = [c for h in holds for c in h["captures"]]
    assert [c["amount_minor"] for c in captures] == [final["captured"]["amount_minor"]]


def test_of_simultaneous_starts_with_one_hold_exactly_one_wins(stack: RunningStack) -> None:
    keys = [stack.new_key(f"S{i}", [104 + i]) for i in range(2)]
    hold = stack.place_hold("S0", 1500)
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(
            pool.map(lambda i: stack.start(keys[i], hold_start_body(hold, 104 + i)), range(2))
        )
    codes = sorted(a.status_code for a in answers)
    assert codes == [201, 409], [a.text for a in answers]
    winner = next(a for a in answers if a.status_code == 201).json()["session_id"]
    loser = next(a for a in answers if a.status_code == 409)
    assert loser.json()["error"] == "authorization_in_use"
    assert _charges(stack, _session_of(loser)) == []
    stack.stop(keys[0] if winner.startswith("session-alpha-S0-") else keys[1], winner)
