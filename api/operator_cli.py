"""Act on flagged sessions from a shell: a thin client of the /v1/operator routes.

    export CHARGEPAY_OPERATOR_KEY=opk_...        # or --key; the env keeps it out of history
    python -m api.operator_cli --api http://127.0.0.1:8000 flagged
    python -m api.operator_cli status <session id>
    python -m api.operator_cli act <session id> retry_capture --reason "acquirer is back"
    python -m api.operator_cli act <session id> capture --amount 12.34 --currency EUR --reason "..."
    python -m api.operator_cli act <session id> void|write_off|resolve --reason "..."

Amounts are typed in major units and sent in minor units (Decimal, never float). Each
`act` sends a request id (printed; `--request-id` to choose one): sending the same id again
returns the first answer instead of acting twice, so a timed-out command is safe to repeat.
Exit codes: 0 done, 1 the API refused or failed (its error code and message are printed),
2 bad arguments, 3 the API did not answer.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import uuid
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, get_args

import httpx
from pydantic import ValidationError

from core.money import Money, currency_decimals, decimal_to_minor, minor_to_decimal
from workflows.operator_actions import ActionKind

DEFAULT_API = "http://127.0.0.1:8000"
KEY_ENV = "CHARGEPAY_OPERATOR_KEY"
API_ENV = "CHARGEPAY_API_URL"

EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3


class CliError(Exception):
    pass


class ApiAnswer(Exception):
    """A non-2xx answer: its stable `error` code and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.status, self.code, self.message = status, code, message


def to_money(amount: str, currency: str) -> Money:
    """`12.34` EUR -> 1234 minor units; refuses what would need rounding (`12.345` EUR)."""
    try:
        value = Decimal(amount)
    except InvalidOperation as exc:
        raise CliError(f"amount {amount!r} is not a number") from exc
    if not value.is_finite() or value <= 0:
        raise CliError("amount must be a positive number")
    decimals = currency_decimals(currency)
    minor = decimal_to_minor(value, decimals)
    if minor_to_decimal(minor, decimals) != value:
        raise CliError(f"{currency.upper()} has {decimals} decimals: {amount} needs rounding")
    try:
        return Money(amount_minor=minor, currency=currency)
    except ValidationError as exc:
        raise CliError(f"currency {currency!r} is not an ISO-4217 code") from exc


def action_body(args: argparse.Namespace) -> dict[str, Any]:
    if (args.amount is None) != (args.currency is None):
        raise CliError("give --amount and --currency together")
    body: dict[str, Any] = {
        "action": args.action,
        "request_id": args.request_id,
        "reason": args.reason,
    }
    if args.amount is not None:
        body["amount"] = to_money(args.amount, args.currency).model_dump()
    return body


def _answer(response: httpx.Response) -> Any:
    if response.is_success:
        return response.json()
    try:
        err = response.json()
        code, message = str(err["error"]), str(err["message"])
    except (ValueError, KeyError, TypeError):
        code, message = f"http_{response.status_code}", response.text[:500]
    raise ApiAnswer(response.status_code, code, message)


def _flagged(http: httpx.Client, include_finished: bool) -> list[dict[str, Any]]:
    params: dict[str, Any] = {"attention": "true", "page_size": 100}
    if not include_finished:
        params["running"] = "true"
    rows: list[dict[str, Any]] = []
    while True:
        page = _answer(http.get("/v1/operator/sessions", params=params))
        rows += page["sessions"]
        if not page.get("next_page_token"):
            return rows
        params["page_token"] = page["next_page_token"]


def _run(args: argparse.Namespace, http: httpx.Client) -> None:
    if args.command == "act":
        body = action_body(args)
        print(f"request id: {args.request_id}", file=sys.stderr)
        status = _answer(http.post(f"/v1/operator/sessions/{args.session_id}/actions", json=body))
        print(json.dumps(status, indent=2))
    elif args.command == "status":
        print(json.dumps(_answer(http.get(f"/v1/operator/sessions/{args.session_id}")), indent=2))
    elif args.command == "flagged":
        rows = _flagged(http, args.all)
        if args.json:
            print(json.dumps(rows, indent=2))
            return
        for row in rows:
            print(f"{row['session_id']}\t{row['state']}\t{row['attention']}")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m api.operator_cli",
        description=__doc__.split("\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--api", default=os.environ.get(API_ENV, DEFAULT_API), help="API base URL")
    p.add_argument("--key", default=os.environ.get(KEY_ENV), help=f"operator key (or ${KEY_ENV})")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds per request")
    sub = p.add_subparsers(dest="command", required=True)
    act = sub.add_parser("act", help="act on a session waiting for an operator")
    act.add_argument("session_id")
    act.add_argument("action", choices=get_args(ActionKind))
    act.add_argument("--reason", required=True, help="why; recorded in the session's history")
    act.add_argument("--amount", help="capture only: major units, e.g. 12.34")
    act.add_argument("--currency", help="capture only: ISO-4217, e.g. EUR")
    act.add_argument("--request-id", default=f"cli-{uuid.uuid4().hex}", help="idempotency key")
    st = sub.add_parser("status", help="a session's status")
    st.add_argument("session_id")
    fl = sub.add_parser("flagged", help="this operator's sessions waiting for an operator")
    fl.add_argument("--all", action="store_true", help="include finished sessions")
    fl.add_argument("--json", action="store_true")
    return p


def main(argv: Sequence[str] | None = None, transport: httpx.BaseTransport | None = None) -> int:
    args = _parser().parse_args(argv)
    if not args.key:
        print(f"error: no operator key: give --key or set {KEY_ENV}", file=sys.stderr)
        return EXIT_USAGE
    headers = {"Authorization": f"Bearer {args.key}"}
    try:
        with httpx.Client(
            base_url=args.api, headers=headers, timeout=args.timeout, transport=transport
        ) as http:
            _run(args, http)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ApiAnswer as exc:
        kind = "refused" if exc.status == 409 else "error"
        print(f"{kind} ({exc.status}): {exc.code}: {exc.message}", file=sys.stderr)
        if exc.status == 504 and args.command == "act":
            print(f"send again with --request-id {args.request_id}", file=sys.stderr)
        return EXIT_REFUSED
    except httpx.HTTPError as exc:
        print(f"error: no answer from {args.api}: {exc!r}", file=sys.stderr)
        if args.command == "act":
            print(f"send again with --request-id {args.request_id}", file=sys.stderr)
        return EXIT_UNREACHABLE
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
