"""[4 of 7]: `make dev` clears Temporal's sessions with the emulators' state, so a restart
never leaves sessions following charges and holds the new emulators do not know."""

from __future__ import annotations

from pathlib import Path

from devstack.__main__ import clear_temporal_state


def test_a_restart_clears_temporal_state_and_nothing_else(tmp_path: Path) -> None:
    for name in ("temporal.sqlite", "temporal.sqlite-wal", "temporal.sqlite-shm"):
        (tmp_path / name).write_text("old sessions")
    kept = tmp_path / "logs" / "api.log"
    kept.parent.mkdir()
    kept.write_text("log")
    assert clear_temporal_state(tmp_path) is True
    assert sorted(p.name for p in tmp_path.iterdir()) == ["logs"]
    assert kept.read_text() == "log"
    assert clear_temporal_state(tmp_path) is False  # a first start has nothing to clear
