"""Workers announce the session code they run; a start shape waits until all follow it."""

from __future__ import annotations

from workflows.worker_code import SESSION_CODE, all_follow, announce, code_of


def test_identity_carries_the_code_and_silence_means_the_first() -> None:
    assert code_of(announce("123@host")) == SESSION_CODE
    assert code_of("123@host") == 1
    assert code_of("123@host session-code=7") == 7


def test_a_shape_waits_for_every_poller() -> None:
    new, old = announce("1@a"), "2@b"
    assert all_follow([new, new], 2)
    assert not all_follow([new, old], 2)
    assert not all_follow([], 2)  # no poller seen: no evidence, old shape
