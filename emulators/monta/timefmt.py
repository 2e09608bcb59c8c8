"""Wall-clock instants as Monta prints them (ISO-8601, UTC, `Z`)."""

from __future__ import annotations

from datetime import UTC, datetime


def iso(t: float | None) -> str | None:
    if t is None:
        return None
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse_instant(value: str) -> float:
    """`yyyy-MM-ddTHH:mm:ssZ` (fractions and offsets tolerated) to epoch seconds."""
    dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace(" ", "+"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()
