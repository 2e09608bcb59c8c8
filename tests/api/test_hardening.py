"""[3 of 7] findings 1, 5 and 7: bodies are capped before authentication, readiness says a
code and not Temporal's exception text, and a corrupt key file is a 503 with a clear log
line, never a 500. The app in-process; Temporal unreachable on purpose."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from api.errors import install_error_handlers
from api.main import create_app
from settings import Settings
from tests.api.support import DEV_ENV


@pytest_asyncio.fixture(loop_scope="session")
async def app_without_temporal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[httpx.AsyncClient, Settings]]:
    for name, value in DEV_ENV.items():
        if name.endswith(("_CLIENT_SECRET", "_WEBHOOK_SECRETS")):
            monkeypatch.setenv(name, value)
    settings = Settings(
        terminal_keys_file=tmp_path / "terminal_keys.json",
        operator_keys_file=tmp_path / "operator_keys.json",
    )
    # Nothing listens on port 1: every call to Temporal fails.
    client = await Client.connect("127.0.0.1:1", lazy=True)
    app = create_app(settings, temporal_client=client)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
        yield http, settings


async def test_readiness_names_a_code_not_temporals_exception(
    app_without_temporal: tuple[httpx.AsyncClient, Settings],
) -> None:
    http, _ = app_without_temporal
    r = await http.get("/readyz")
    assert r.status_code == 503
    assert r.json()["error"] == "temporal_unavailable"
    assert r.json()["message"] == "Temporal is not reachable"


async def test_a_corrupt_key_file_is_503_with_a_log_line(
    app_without_temporal: tuple[httpx.AsyncClient, Settings], caplog: pytest.LogCaptureFixture
) -> None:
    http, settings = app_without_temporal
    settings.terminal_keys_file.write_text("{ this is not json")
    with caplog.at_level(logging.ERROR):
        r = await http.get("/v1/sessions", headers={"Authorization": "Bearer cpk_abc_def"})
    assert r.status_code == 503 and r.json()["error"] == "keys_unavailable"
    assert any(str(settings.terminal_keys_file) in rec.getMessage() for rec in caplog.records)


async def test_an_oversized_body_is_413_before_authentication(
    app_without_temporal: tuple[httpx.AsyncClient, Settings],
) -> None:
    http, settings = app_without_temporal
    big = b"{" + b" " * (settings.api_max_body_bytes + 1) + b"}"
    for url in ("/v1/sessions", "/v1/sessions/session-alpha-T1-x/stop"):
        r = await http.post(url, content=big, headers={"Content-Type": "application/json"})
        assert r.status_code == 413 and r.json()["error"] == "payload_too_large", url


async def test_a_wrong_method_names_every_method_the_path_serves(
    app_without_temporal: tuple[httpx.AsyncClient, Settings],
) -> None:
    """[3 of 7] finding 9 (schemathesis ST205): /v1/sessions serves GET and POST."""
    http, _ = app_without_temporal
    r = await http.request("DELETE", "/v1/sessions")
    assert r.status_code == 405 and r.json()["error"] == "method_not_allowed"
    assert r.headers["allow"] == "GET, POST"


async def test_a_session_no_worker_ran_yet_is_busy_not_a_bad_gateway() -> None:
    """Temporal answers a query to a session whose first task no worker has run with
    FAILED_PRECONDITION: the session exists but cannot answer now (503), not a 502."""
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/query")
    async def query() -> None:
        raise RPCError("workflow task not completed", RPCStatusCode.FAILED_PRECONDITION, b"")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
        r = await http.get("/query")
    assert r.status_code == 503 and r.json()["error"] == "session_busy"
