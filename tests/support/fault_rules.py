"""The shape both emulators' fault rules share: an operation, a kind, how many matching calls
go through first, and the options a test sets (the rest take the emulator's defaults)."""

from __future__ import annotations

from typing import Any


def rule(operation: str, kind: str, skip: int, **options: Any) -> dict[str, Any]:
    """One fault rule, leaving out every option the test did not set."""
    chosen = {name: value for name, value in options.items() if value is not None}
    return {"operation": operation, "kind": kind, "skip": skip, **chosen}
