"""The digest rule the session's `wait_accepted` validator applies (workflows/idempotency)."""

from __future__ import annotations

import pytest
from temporalio.exceptions import ApplicationError

from workflows.idempotency import KEY_REUSED, check_digest


def test_another_body_is_refused() -> None:
    with pytest.raises(ApplicationError) as refused:
        check_digest("a" * 64, "b" * 64)
    assert refused.value.type == KEY_REUSED and refused.value.non_retryable


@pytest.mark.parametrize(
    ("stored", "offered"),
    [("a" * 64, "a" * 64), (None, "a" * 64), ("a" * 64, None), (None, None)],
)
def test_same_body_or_a_missing_side_passes(stored: str | None, offered: str | None) -> None:
    check_digest(stored, offered)
