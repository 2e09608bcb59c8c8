"""Start-up check: the namespace keeps closed sessions longer than terminals retry.

A terminal that retries `POST /v1/sessions` after the session finished must find it (and get
its outcome) instead of starting a second charge. That holds only while Temporal still
retains the closed workflow: retention must exceed `terminal_retry_horizon_s`.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client

log = logging.getLogger(__name__)


class RetentionTooShort(RuntimeError):
    pass


async def namespace_retention(client: Client, rpc_timeout: timedelta) -> timedelta:
    resp = await client.workflow_service.describe_namespace(
        DescribeNamespaceRequest(namespace=client.namespace), timeout=rpc_timeout
    )
    return resp.config.workflow_execution_retention_ttl.ToTimedelta()


async def check_retention(
    client: Client, horizon_s: float, mode: str, rpc_timeout: timedelta = timedelta(seconds=5)
) -> timedelta | None:
    """Returns the retention; logs an error (`warn`) or raises (`refuse`) when too short."""
    if mode == "off":
        return None
    retention = await namespace_retention(client, rpc_timeout)
    horizon = timedelta(seconds=horizon_s)
    if retention > horizon:
        return retention
    message = (
        f"namespace {client.namespace!r} retains closed sessions for {retention}, not longer "
        f"than the terminals' retry horizon {horizon}: a late retry could start a second "
        "session. Raise the retention (temporal operator namespace update --retention) "
        "or lower CHARGEPAY_TERMINAL_RETRY_HORIZON_S."
    )
    if mode == "refuse":
        raise RetentionTooShort(message)
    log.error(message)
    return retention
