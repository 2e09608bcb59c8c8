"""Which session workflow code a worker runs, announced in its poller identity.

A history must replay on whatever worker picks it up later. A start that older code follows
differently leaves a history newer code cannot replay: a priced start in `authorizing`, run
by a worker from before that, upserts `pricing` first, and a newer worker replaying it
fails with a nondeterminism error (checked). So every worker announces its code in its
identity (`… session-code=N`), and the API asks Temporal who polls the session queue
(api/worker_code_probe.py) and starts the new way only when every poller follows it:
the start's shape is chosen by the lowest code announced (session_start.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# 2: a start that begins in `authorizing` is followed without stepping through `pricing`.
# 3: a start that sets StateSince is followed without asking the state-times patch.
# 4: a snapshot marked `stop_sent_for` is read as the session's own stop, sent by the API.
SESSION_CODE = 4
BEGINS_IN_AUTHORIZING = 2
STATE_SINCE_AT_START = 3
READS_API_STOPS = 4
_MARK = re.compile(r"\bsession-code=(\d+)\b")


def announce(identity: str) -> str:
    """A worker's identity with the code it runs (Temporal shows it in the UI's pollers)."""
    return f"{identity} session-code={SESSION_CODE}"


def code_of(identity: str) -> int:
    """Workers from before the announcement say nothing: code 1."""
    found = _MARK.search(identity)
    return int(found.group(1)) if found else 1


def lowest_code(identities: Iterable[str]) -> int:
    """The code every poller follows; 0 when there is none to judge by."""
    return min((code_of(i) for i in identities), default=0)
