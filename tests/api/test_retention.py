"""The start-up retention check against a real namespace (the dev server's default)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from temporalio.testing import WorkflowEnvironment

from api.retention import RetentionTooShort, check_retention, namespace_retention


async def test_retention_modes(
    temporal_env: WorkflowEnvironment, caplog: pytest.LogCaptureFixture
) -> None:
    client = temporal_env.client
    retention = await namespace_retention(client, timedelta(seconds=5))
    assert retention > timedelta(0)
    shorter = retention.total_seconds() / 2
    longer = retention.total_seconds() * 2
    assert await check_retention(client, shorter, "refuse") == retention
    with pytest.raises(RetentionTooShort):
        await check_retention(client, longer, "refuse")
    assert await check_retention(client, longer, "warn") == retention
    assert "retry horizon" in caplog.text
    assert await check_retention(client, longer, "off") is None
