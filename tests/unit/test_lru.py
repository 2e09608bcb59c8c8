"""The bounded map behind the API's per-process memories of charges."""

from __future__ import annotations

from core.lru import Lru


def test_the_least_recently_used_key_is_forgotten_first() -> None:
    lru: Lru[int, str] = Lru(2)
    lru.put(1, "a")
    lru.put(2, "b")
    assert lru.get(1) == "a"  # 1 is now the most recently used
    lru.put(3, "c")
    assert 2 not in lru and 1 in lru and 3 in lru and len(lru) == 2


def test_reading_by_index_does_not_count_as_a_use_and_none_is_a_value() -> None:
    lru: Lru[int, str | None] = Lru(2)
    lru.put(1, None)
    lru.put(2, "b")
    assert lru[1] is None and 1 in lru
    lru.put(3, "c")
    assert 1 not in lru and lru.get(2) == "b"
    assert lru.get(9) is None
