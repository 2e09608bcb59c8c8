"""Workers announce the session code they run; a start shape waits until all follow it."""

from __future__ import annotations

from workflows.worker_code import SESSION_CODE, announce, code_of, lowest_code


def test_identity_carries_the_code_and_silence_means_the_first() -> None:
    assert code_of(announce("123@host")) == SESSION_CODE
    assert code_of("123@host") == 1
    assert code_of("123@host session-code=7") == 7


def test_the_shape_follows_the_lowest_poller() -> None:
    new, old = announce("1@a"), "2@b"
    assert lowest_code([new, new]) == SESSION_CODE
    assert lowest_code([new, old]) == 1
    assert lowest_code([]) == 0  # no poller seen: no evidence, the oldest shape
