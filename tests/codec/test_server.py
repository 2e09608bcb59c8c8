"""The codec server as the Temporal UI calls it: proto JSON over POST, bearer token, CORS."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter

from codec.aes_gcm import AesGcmCodec
from codec.auth import static_token_verifier
from codec.converter import CodecSettings
from codec.keys import parse_keyring
from codec.server import build_codec_router
from codec.wiring import codec_router_from_env
from tests.codec.keyring_factory import keyring_spec

UI_ORIGIN = "https://temporal-ui.example.test"
TOKENS = ("operator-token-new", "operator-token-old")
SECRET_VALUE = {"card_last4": "4242", "authorization_ref": "authref-codec-server"}


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _ui_json(payloads: list[Payload]) -> dict[str, object]:
    """The body the UI sends, built by hand: base64 metadata values and data."""
    return {
        "payloads": [
            {"metadata": {k: _b64(v) for k, v in p.metadata.items()}, "data": _b64(p.data)}
            for p in payloads
        ]
    }


def _from_ui_json(body: dict[str, list[dict[str, object]]]) -> list[Payload]:
    out = []
    for item in body["payloads"]:
        metadata = item.get("metadata", {})
        assert isinstance(metadata, dict)
        data = item.get("data", "")
        assert isinstance(data, str)
        out.append(
            Payload(
                metadata={k: base64.b64decode(v) for k, v in metadata.items()},
                data=base64.b64decode(data),
            )
        )
    return out


def _plain() -> Payload:
    return pydantic_data_converter.payload_converter.to_payloads([SECRET_VALUE])[0]


def _codec(spec: str) -> AesGcmCodec:
    keyring = parse_keyring(spec)
    assert keyring is not None
    return AesGcmCodec(keyring)


def _auth(token: str = TOKENS[0]) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Origin": UI_ORIGIN, "X-Namespace": "default"}


@pytest.fixture
def codec() -> AesGcmCodec:
    return _codec(keyring_spec("k1"))


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api.test")


@pytest.fixture
async def client(codec: AesGcmCodec) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.include_router(
        build_codec_router(codec, verifier=static_token_verifier(TOKENS), cors_origins=[UI_ORIGIN])
    )
    async with _client(app) as c:
        yield c


async def test_decode_returns_the_plaintext_payload(
    client: httpx.AsyncClient, codec: AesGcmCodec
) -> None:
    [sealed] = await codec.encode([_plain()])
    resp = await client.post("/codec/decode", json=_ui_json([sealed]), headers=_auth())
    assert resp.status_code == 200
    [opened] = _from_ui_json(resp.json())
    assert opened == _plain()
    assert json.loads(opened.data) == SECRET_VALUE
    assert resp.headers["access-control-allow-origin"] == UI_ORIGIN


async def test_encode_then_decode_round_trips_through_the_endpoints(
    client: httpx.AsyncClient,
) -> None:
    enc = await client.post("/codec/encode", json=_ui_json([_plain()]), headers=_auth())
    assert enc.status_code == 200
    [sealed] = _from_ui_json(enc.json())
    assert sealed.metadata["encoding"] == b"binary/encrypted"
    assert b"4242" not in sealed.data
    dec = await client.post("/codec/decode", json=enc.json(), headers=_auth())
    assert _from_ui_json(dec.json()) == [_plain()]


async def test_both_rotation_tokens_are_accepted(
    client: httpx.AsyncClient, codec: AesGcmCodec
) -> None:
    [sealed] = await codec.encode([_plain()])
    for token in TOKENS:
        resp = await client.post("/codec/decode", json=_ui_json([sealed]), headers=_auth(token))
        assert resp.status_code == 200


@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong-token", "Basic b3BlcmF0b3ItdG9rZW4tbmV3", "Bearer "]
)
async def test_decode_without_a_valid_token_is_refused(
    client: httpx.AsyncClient, codec: AesGcmCodec, authorization: str | None
) -> None:
    [sealed] = await codec.encode([_plain()])
    headers = {"Origin": UI_ORIGIN}
    if authorization is not None:
        headers["Authorization"] = authorization
    resp = await client.post("/codec/decode", json=_ui_json([sealed]), headers=headers)
    assert resp.status_code == 401
    assert resp.json()["error"] == "unauthorized"
    assert resp.headers["www-authenticate"] == "Bearer"
    # The browser must be able to read the refusal.
    assert resp.headers["access-control-allow-origin"] == UI_ORIGIN
    assert b"4242" not in resp.content


async def test_no_configured_credential_fails_closed(codec: AesGcmCodec) -> None:
    app = FastAPI()
    app.include_router(build_codec_router(codec, verifier=None, cors_origins=[UI_ORIGIN]))
    [sealed] = await codec.encode([_plain()])
    async with _client(app) as c:
        resp = await c.post("/codec/decode", json=_ui_json([sealed]), headers=_auth())
    assert resp.status_code == 503
    assert resp.json()["error"] == "codec_auth_not_configured"


@pytest.mark.parametrize(
    "body", [b"not json", b'{"payloads": "nope"}', b'{"payloads": [{"data": 5}]}', b"[]"]
)
async def test_malformed_bodies_get_a_clear_400(client: httpx.AsyncClient, body: bytes) -> None:
    headers = {**_auth(), "Content-Type": "application/json"}
    resp = await client.post("/codec/decode", content=body, headers=headers)
    assert resp.status_code == 400
    assert resp.json()["error"] == "invalid_payloads"


@pytest.mark.parametrize("op", ["encode", "decode"])
async def test_no_payloads_is_an_empty_document_not_a_bad_one(
    client: httpx.AsyncClient, op: str
) -> None:
    """The temporal CLI sends `{}` for a query without arguments (protobuf's JSON leaves an
    empty list out): `temporal workflow query --codec-endpoint` must not fail on it."""
    headers = {**_auth(), "Content-Type": "application/json"}
    resp = await client.post(f"/codec/{op}", content=b"{}", headers=headers)
    assert resp.status_code == 200, resp.text
    assert _from_ui_json(resp.json()) == []


async def test_payload_under_an_unknown_key_gets_422(client: httpx.AsyncClient) -> None:
    [foreign] = await _codec(keyring_spec("other")).encode([_plain()])
    resp = await client.post("/codec/decode", json=_ui_json([foreign]), headers=_auth())
    assert resp.status_code == 422
    assert resp.json()["error"] == "decryption_failed"


async def test_preflight_answers_the_ui_origin_only(client: httpx.AsyncClient) -> None:
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type,x-namespace",
    }
    ok = await client.options("/codec/decode", headers={**preflight, "Origin": UI_ORIGIN})
    assert ok.status_code == 204
    assert ok.headers["access-control-allow-origin"] == UI_ORIGIN
    assert "authorization" in ok.headers["access-control-allow-headers"]
    assert "x-namespace" in ok.headers["access-control-allow-headers"]
    evil = await client.options(
        "/codec/decode", headers={**preflight, "Origin": "https://evil.example"}
    )
    assert "access-control-allow-origin" not in evil.headers


async def test_router_from_env_is_absent_without_keys() -> None:
    assert codec_router_from_env(CodecSettings(codec_keys="")) is None


async def test_router_from_env_serves_with_keys_and_token() -> None:
    spec = keyring_spec("k1")
    settings = CodecSettings(
        codec_keys=spec, codec_auth_token="tok-a, tok-b", codec_cors_origins=UI_ORIGIN
    )
    router = codec_router_from_env(settings)
    assert router is not None
    app = FastAPI()
    app.include_router(router)
    [sealed] = await _codec(spec).encode([_plain()])
    async with _client(app) as c:
        good = await c.post("/codec/decode", json=_ui_json([sealed]), headers=_auth("tok-b"))
        bad = await c.post("/codec/decode", json=_ui_json([sealed]), headers=_auth("tok-c"))
    assert _from_ui_json(good.json()) == [_plain()]
    assert bad.status_code == 401
