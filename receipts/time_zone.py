"""The time zone a receipt's times are shown in: the charge point's local time.

Monta's charge point carries an address (country) but no zone. A country with one zone
names it; elsewhere (or without a country) the operator's `time_zone` setting applies.
"""

from __future__ import annotations

# Countries with a single IANA zone where Monta operators run charge points.
_SINGLE_ZONE: dict[str, str] = {
    "AT": "Europe/Vienna",
    "BE": "Europe/Brussels",
    "CH": "Europe/Zurich",
    "CZ": "Europe/Prague",
    "DE": "Europe/Berlin",
    "DK": "Europe/Copenhagen",
    "EE": "Europe/Tallinn",
    "FI": "Europe/Helsinki",
    "FR": "Europe/Paris",
    "GB": "Europe/London",
    "IE": "Europe/Dublin",
    "IS": "Atlantic/Reykjavik",
    "IT": "Europe/Rome",
    "LT": "Europe/Vilnius",
    "LU": "Europe/Luxembourg",
    "LV": "Europe/Riga",
    "NL": "Europe/Amsterdam",
    "NO": "Europe/Oslo",
    "PL": "Europe/Warsaw",
    "SE": "Europe/Stockholm",
    "SI": "Europe/Ljubljana",
    "SK": "Europe/Bratislava",
}


def receipt_time_zone(country: str | None, operator_zone: str) -> str:
    return _SINGLE_ZONE.get((country or "").upper(), operator_zone)
