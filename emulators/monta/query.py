"""Shared query-parameter parsing: paging and ISO dates, with Monta's 400 on bad input."""

from __future__ import annotations

from emulators.monta.errors import bad_request
from emulators.monta.timefmt import parse_instant


def paging(page: int, per_page: int) -> tuple[int, int]:
    if page < 0:
        raise bad_request("`page` must be >= 0", {"page": page})
    if not 1 <= per_page <= 100:
        raise bad_request("`perPage` must be between 1 and 100", {"perPage": per_page})
    return page, per_page


def instant(name: str, value: str | None) -> float | None:
    if value is None or value == "":
        return None
    try:
        return parse_instant(value)
    except ValueError:
        raise bad_request(
            f"Invalid date for `{name}`, expected format (ISO8601: yyyy-MM-ddTHH:mm:ssZ)",
            {name: value},
        ) from None
