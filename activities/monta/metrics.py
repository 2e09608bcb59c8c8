"""Request and rate-limit counters per operator and endpoint (the rate budget is shared by
every worker of a credential, so what each worker spends is worth seeing)."""

from __future__ import annotations

from collections import Counter as TallyCounter

from prometheus_client import Counter

MONTA_REQUESTS = Counter(
    "monta_requests_total",
    "Monta Partner API requests by operator, endpoint and HTTP status (or 'transport').",
    ["operator", "endpoint", "status"],
)
MONTA_RATE_LIMITED = Counter(
    "monta_rate_limited_total",
    "Monta Partner API 429 answers by operator and endpoint.",
    ["operator", "endpoint"],
)


class MontaMetrics:
    """In-process tallies for one credential, mirrored to the Prometheus counters."""

    def __init__(self, operator: str) -> None:
        self.operator = operator
        self.requests: TallyCounter[tuple[str, str]] = TallyCounter()
        self.rate_limited: TallyCounter[str] = TallyCounter()

    def record(self, endpoint: str, status: int | str) -> None:
        self.requests[(endpoint, str(status))] += 1
        MONTA_REQUESTS.labels(self.operator, endpoint, str(status)).inc()
        if status == 429:
            self.rate_limited[endpoint] += 1
            MONTA_RATE_LIMITED.labels(self.operator, endpoint).inc()

    def total(self, endpoint: str | None = None) -> int:
        return sum(n for (ep, _), n in self.requests.items() if endpoint in (None, ep))
