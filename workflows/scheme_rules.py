"""Card-scheme rules that limit when a hold may be incremented, kept as data, each with its
source (docs/increments.md#scheme-rules). Pure.

The session checks them before it asks (workflows/session_increments.py): an increment a
rule forbids is not asked, and the session stops at the hold it has, as after a decline.
The acquirer stays the authority; these rules only spare a call it would refuse. A hold
whose creation time the acquirer did not give is not checked here.

"Same day" is the UTC calendar day of the wall clock: the source does not say whose day,
and the acquirer's instants are UTC. It is not scaled by a time scale: a dev stack at 30x
still has a wall-clock day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from workflows.contracts import Authorization


@dataclass(frozen=True)
class IncrementRule:
    name: str
    card_present: bool  # the kind of hold it applies to
    same_day: bool  # increments only on the UTC day the hold was created
    max_age: timedelta | None  # increments only this long after the hold was created
    source: str


INCREMENT_RULES: tuple[IncrementRule, ...] = (
    IncrementRule(
        name="card_present_same_day",
        card_present=True,
        same_day=True,
        max_age=None,
        source="Valitor/Teya EV charging spec (audur-docs, afd-evc/evc): card-present "
        "increments the same day",
    ),
    IncrementRule(
        name="card_not_present_7_days",
        card_present=False,
        same_day=False,
        max_age=timedelta(days=7),
        source="Valitor/Teya EV charging spec (audur-docs, afd-evc/evc): card-not-present "
        "increments within 7 days",
    ),
)


def _breaks(rule: IncrementRule, created_at: datetime, now: datetime) -> bool:
    if rule.same_day and now.astimezone(UTC).date() != created_at.astimezone(UTC).date():
        return True
    return rule.max_age is not None and now - created_at > rule.max_age


def refusing_rule(
    auth: Authorization, now: datetime, rules: tuple[IncrementRule, ...] = INCREMENT_RULES
) -> IncrementRule | None:
    """The first rule that forbids incrementing `auth` at `now` (both UTC), or None."""
    created_at = auth.authorized_at
    if created_at is None:
        return None
    for rule in rules:
        if rule.card_present == auth.card_present and _breaks(rule, created_at, now):
            return rule
    return None
