"""Register each operator's webhook URL and secret with Monta (`PUT /webhooks/config`).

    python -m api.webhooks.register --public-url https://chargepay.example.com [--operator alpha]

Monta keeps one webhook config per API credential, so each operator gets its own URL
`<public-url>/v1/webhooks/monta/<operator>` and is signed with that operator's secret: the
first of CHARGEPAY_<OP>_WEBHOOK_SECRETS ("new,old" while rotating). The same command works
against the emulator (`make dev`) and against real Monta (CHARGEPAY_MONTA_BASE_URL).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from activities.monta.client import MontaClient
from activities.monta.errors import MontaError
from activities.monta.models import WebhookConfig
from core.operators import Operator, load_operators
from settings import Settings, get_settings

DEFAULT_EVENT_TYPES = ("charges",)


def webhook_url(public_url: str, operator: str) -> str:
    return f"{public_url.rstrip('/')}/v1/webhooks/monta/{operator}"


async def register(
    operator: Operator,
    settings: Settings,
    public_url: str,
    event_types: Sequence[str] = DEFAULT_EVENT_TYPES,
) -> WebhookConfig:
    if not operator.webhook_secrets:
        raise ValueError(f"operator {operator.key!r} has no webhook secret configured")
    config = WebhookConfig(
        webhook_url=webhook_url(public_url, operator.key),
        webhook_secret=operator.webhook_secrets[0].get_secret_value(),
        event_types=list(event_types),
    )
    async with MontaClient.from_operator(operator, settings) as client:
        return await client.put_webhook_config(config)


async def register_all(
    settings: Settings,
    public_url: str,
    only: Sequence[str] = (),
    event_types: Sequence[str] = DEFAULT_EVENT_TYPES,
) -> dict[str, str]:
    """Register every operator (or `only` those); returns operator -> registered URL."""
    operators = load_operators(settings.operators_file)
    unknown = set(only) - set(operators)
    if unknown:
        raise ValueError(f"unknown operators: {sorted(unknown)}")
    done: dict[str, str] = {}
    for key, operator in operators.items():
        if only and key not in only:
            continue
        result = await register(operator, settings, public_url, event_types)
        done[key] = result.webhook_url
    return done


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m api.webhooks.register", description=__doc__)
    p.add_argument("--public-url", required=True, help="where Monta reaches this API")
    p.add_argument("--operator", action="append", default=[], help="only these (repeatable)")
    p.add_argument("--event-type", action="append", default=[], dest="event_types")
    args = p.parse_args(argv)
    try:
        done = asyncio.run(
            register_all(
                get_settings(),
                args.public_url,
                args.operator,
                args.event_types or DEFAULT_EVENT_TYPES,
            )
        )
    except (MontaError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for key, url in done.items():
        print(f"{key}: {url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
