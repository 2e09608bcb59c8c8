"""The UI's OIDC access token opens the codec only for allowlisted, verified staff, for our
audience; checked against a local fake identity provider over real HTTP."""

from __future__ import annotations

import asyncio
import base64
import secrets
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError
from temporalio.api.common.v1 import Payload

from codec.aes_gcm import AesGcmCodec
from codec.converter import CodecSettings
from codec.keys import parse_keyring
from codec.oidc import (
    DEFAULT_CACHE_TTL_S,
    MAX_CACHE_TTL_S,
    OidcConfigError,
    normalize_email,
    userinfo_verifier,
)
from codec.wiring import codec_router_from_env
from tests.codec.fake_idp import FakeIdp, jwt, running_idp
from tests.codec.keyring_factory import keyring_spec

AUD = "chargepay-codec"
OPS = "ops@chargepay.example"
KEYS = keyring_spec("k1")
VERIFIED_OPS: dict[str, object] = {"sub": "u1", "email": OPS, "email_verified": True}


@pytest.fixture
def idp() -> Iterator[FakeIdp]:
    with running_idp() as provider:
        yield provider


def _verifier(idp: FakeIdp, **overrides: Any) -> Any:
    options: dict[str, Any] = {"audience": AUD, "allowed_emails": [OPS]}
    options.update(overrides)
    return userinfo_verifier(idp.userinfo_url, **options)


def _token(idp: FakeIdp, claims: dict[str, object], *, aud: object = AUD) -> str:
    """A JWT access token for `aud` that the provider accepts, answering `claims`."""
    token = jwt({"sub": "u1", "aud": aud, "exp": 4_102_444_800, "jti": secrets.token_hex(8)})
    idp.tokens[token] = claims
    return token


# -- who is let in -----------------------------------------------------------------------------


async def test_verified_allowed_email_passes(idp: FakeIdp) -> None:
    verify = _verifier(idp)
    assert await verify(_token(idp, VERIFIED_OPS))
    assert not await verify(jwt({"aud": AUD}))  # a token the provider does not know


@pytest.mark.parametrize("verified", [False, None, "true", 1])
async def test_unverified_email_is_refused(idp: FakeIdp, verified: object) -> None:
    claims: dict[str, object] = {"sub": "u1", "email": OPS}
    if verified is not None:
        claims["email_verified"] = verified
    assert not await _verifier(idp)(_token(idp, claims))


@pytest.mark.parametrize(
    ("email", "allowed"),
    [
        ("Ops@chargepay.example", False),  # local part differs in case: another mailbox
        ("OPS@chargepay.example", False),
        ("ops@ChargePay.Example", True),  # domains are case-insensitive
        ("  ops@chargepay.example ", True),
        ("ops@chargepay.example.evil", False),
        ("ops", False),
    ],
)
async def test_email_local_part_is_exact_and_domain_is_not(
    idp: FakeIdp, email: str, allowed: bool
) -> None:
    claims = {"sub": "u1", "email": email, "email_verified": True}
    assert await _verifier(idp)(_token(idp, claims)) is allowed


def test_email_normalization() -> None:
    assert normalize_email(" Ops@ChargePay.EXAMPLE ") == "Ops@chargepay.example"
    assert normalize_email("no-at-sign") is None
    assert normalize_email("@chargepay.example") is None


@pytest.mark.parametrize(
    ("claim_name", "claim", "allowed"),
    [
        ("groups", ["drivers", "codec-operators"], True),
        ("groups", "codec-operators", True),
        ("roles", ["codec-operators"], True),
        ("groups", ["Codec-Operators"], False),  # groups match exactly
        ("groups", ["codec-operators-extra"], False),
        ("groups", "drivers codec-operators", False),  # a string is one group
        ("groups", [], False),
        ("groups", {"codec-operators": True}, False),
    ],
)
async def test_allowed_group_passes_without_email(
    idp: FakeIdp, claim_name: str, claim: object, allowed: bool
) -> None:
    verify = _verifier(
        idp, allowed_emails=[], allowed_groups=["codec-operators"], groups_claim=claim_name
    )
    token = _token(idp, {"sub": "u2", claim_name: claim})
    assert await verify(token) is allowed


async def test_group_claim_under_another_name_does_not_count(idp: FakeIdp) -> None:
    verify = _verifier(idp, allowed_groups=["codec-operators"], groups_claim="roles")
    assert not await verify(_token(idp, {"sub": "u2", "groups": ["codec-operators"]}))


async def test_unverified_email_does_not_block_an_allowed_group(idp: FakeIdp) -> None:
    verify = _verifier(idp, allowed_groups=["codec-operators"])
    claims = {"sub": "u1", "email": OPS, "email_verified": False, "groups": ["codec-operators"]}
    assert await verify(_token(idp, claims))


# -- audience ----------------------------------------------------------------------------------


@pytest.mark.parametrize("aud", ["another-api", ["another-api", "account"], None, 42, ""])
async def test_wrong_audience_is_refused(idp: FakeIdp, aud: object) -> None:
    verify = _verifier(idp)
    token = _token(idp, VERIFIED_OPS, aud=aud)
    assert not await verify(token)
    assert idp.calls == 0  # a JWT for someone else never reaches the provider


async def test_audience_may_be_one_of_a_list(idp: FakeIdp) -> None:
    assert await _verifier(idp)(_token(idp, VERIFIED_OPS, aud=["account", AUD]))


async def test_userinfo_aud_cannot_stand_in_for_the_jwt_aud(idp: FakeIdp) -> None:
    token = _token(idp, {**VERIFIED_OPS, "aud": AUD}, aud="another-api")
    assert not await _verifier(idp)(token)


async def test_opaque_token_without_aud_is_refused(idp: FakeIdp) -> None:
    idp.tokens["opaque-token-1"] = VERIFIED_OPS
    assert not await _verifier(idp)("opaque-token-1")


@pytest.mark.parametrize(("aud", "allowed"), [(AUD, True), ([AUD], True), ("other", False)])
async def test_opaque_token_uses_the_userinfo_aud(idp: FakeIdp, aud: object, allowed: bool) -> None:
    idp.tokens["opaque-token-2"] = {**VERIFIED_OPS, "aud": aud}
    assert await _verifier(idp)("opaque-token-2") is allowed


@pytest.mark.parametrize(
    "token",
    [
        "a.!!!.c",  # not base64url
        "a." + base64.urlsafe_b64encode(b"not json").decode().rstrip("=") + ".c",
        "a." + base64.urlsafe_b64encode(b'["chargepay-codec"]').decode().rstrip("=") + ".c",
    ],
)
async def test_jwt_shaped_token_with_an_unreadable_payload_is_refused(
    idp: FakeIdp, token: str
) -> None:
    idp.tokens[token] = {**VERIFIED_OPS, "aud": AUD}
    assert not await _verifier(idp)(token)


# -- the cache ---------------------------------------------------------------------------------


async def test_positive_answers_are_cached_briefly(idp: FakeIdp) -> None:
    verify = _verifier(idp)
    token = _token(idp, VERIFIED_OPS)
    assert await verify(token)
    assert await verify(token)
    assert idp.calls == 1


async def test_a_revoked_token_is_refused_after_the_cache_ttl(idp: FakeIdp) -> None:
    verify = _verifier(idp, cache_ttl_s=0.2)
    token = _token(idp, VERIFIED_OPS)
    assert await verify(token)
    del idp.tokens[token]  # revoked at the provider
    await asyncio.sleep(0.3)
    assert not await verify(token)
    assert idp.calls == 2


async def test_refusals_are_not_cached(idp: FakeIdp) -> None:
    verify = _verifier(idp)
    token = _token(idp, {**VERIFIED_OPS, "email_verified": False})
    assert not await verify(token)
    idp.tokens[token] = VERIFIED_OPS  # the user verifies their email
    assert await verify(token)


async def test_the_cache_holds_digests_not_tokens(idp: FakeIdp) -> None:
    verify = _verifier(idp)
    token = _token(idp, VERIFIED_OPS)
    assert await verify(token)
    cells = [c.cell_contents for c in verify.__closure__ or ()]
    [cache] = [c for c in cells if isinstance(c, dict) and c]
    assert token not in cache
    assert all(len(key) == 64 and token not in key for key in cache)


def test_cache_ttl_is_short_by_default_and_bounded() -> None:
    assert DEFAULT_CACHE_TTL_S <= 5
    assert MAX_CACHE_TTL_S == 30
    assert CodecSettings().codec_oidc_cache_s <= 5
    with pytest.raises(ValidationError, match="codec_oidc_cache_s"):
        CodecSettings(codec_oidc_cache_s=60)
    with pytest.raises(OidcConfigError, match="TTL"):
        userinfo_verifier(
            "https://idp.test/userinfo", audience=AUD, allowed_emails=[OPS], cache_ttl_s=31
        )


async def test_an_unreachable_provider_fails_closed() -> None:
    with running_idp() as gone:
        url = gone.userinfo_url
    verify = userinfo_verifier(url, audience=AUD, allowed_emails=[OPS])
    assert not await verify(jwt({"aud": AUD}))


# -- building the verifier: permissive configurations do not start ------------------------------


def _settings(**overrides: object) -> CodecSettings:
    values: dict[str, object] = {
        "codec_keys": KEYS,
        "codec_auth_token": "",
        "codec_cors_origins": "https://temporal-ui.example.test",
        "codec_oidc_userinfo_url": "https://idp.example.test/userinfo",
        "codec_oidc_audience": AUD,
        "codec_oidc_allowed_emails": OPS,
        "codec_oidc_allowed_groups": "",
        "codec_oidc_groups_claim": "groups",
    }
    values.update(overrides)
    return CodecSettings(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"codec_oidc_allowed_emails": "", "codec_oidc_allowed_groups": ""}, "ALLOWED_EMAILS"),
        ({"codec_oidc_allowed_emails": " , ", "codec_oidc_allowed_groups": " "}, "ALLOWED_GROUPS"),
        ({"codec_oidc_audience": ""}, "CHARGEPAY_CODEC_OIDC_AUDIENCE"),
        ({"codec_oidc_audience": "  "}, "CHARGEPAY_CODEC_OIDC_AUDIENCE"),
        ({"codec_oidc_allowed_emails": "ops"}, "CHARGEPAY_CODEC_OIDC_ALLOWED_EMAILS"),
        (
            {"codec_oidc_allowed_groups": "ops", "codec_oidc_groups_claim": ""},
            "CHARGEPAY_CODEC_OIDC_GROUPS_CLAIM",
        ),
        ({"codec_oidc_userinfo_url": "idp.example.test/userinfo"}, "USERINFO_URL"),
    ],
)
def test_startup_is_refused_for_a_permissive_configuration(
    overrides: dict[str, object], named: str
) -> None:
    # A static token does not make a permissive OIDC check acceptable either.
    settings = _settings(codec_auth_token="operator-token", **overrides)
    with pytest.raises(OidcConfigError, match=named):
        codec_router_from_env(settings)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"audience": "", "allowed_emails": [OPS]},
        {"audience": AUD},
        {"audience": AUD, "allowed_emails": [], "allowed_groups": [" "]},
    ],
)
def test_the_verifier_itself_refuses_a_permissive_configuration(kwargs: dict[str, Any]) -> None:
    with pytest.raises(OidcConfigError):
        userinfo_verifier("https://idp.example.test/userinfo", **kwargs)


def test_startup_without_oidc_is_unchanged() -> None:
    settings = _settings(codec_oidc_userinfo_url="", codec_oidc_audience="", codec_auth_token="t")
    assert codec_router_from_env(settings) is not None


# -- through the codec server ------------------------------------------------------------------


@pytest.fixture
async def codec_client(idp: FakeIdp) -> AsyncIterator[httpx.AsyncClient]:
    settings = _settings(
        codec_oidc_userinfo_url=idp.userinfo_url,
        codec_oidc_allowed_groups="codec-operators",
        codec_auth_token="operator-token",
    )
    router = codec_router_from_env(settings)
    assert router is not None
    app = FastAPI()
    app.include_router(router)
    # raise_app_exceptions=False: an exception in the app shows as the 500 a browser would get.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
        yield client


async def _sealed() -> dict[str, object]:
    keyring = parse_keyring(KEYS)
    assert keyring is not None
    [sealed] = await AesGcmCodec(keyring).encode([Payload(metadata={"encoding": b"x"}, data=b"1")])

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    return {
        "payloads": [
            {"metadata": {k: b64(v) for k, v in sealed.metadata.items()}, "data": b64(sealed.data)}
        ]
    }


async def test_decode_with_an_allowed_oidc_token(
    idp: FakeIdp, codec_client: httpx.AsyncClient
) -> None:
    body = await _sealed()
    by_email = _token(idp, VERIFIED_OPS)
    by_group = _token(idp, {"sub": "u2", "groups": ["codec-operators"]})
    unverified = _token(idp, {**VERIFIED_OPS, "email_verified": False})
    for token, status in [(by_email, 200), (by_group, 200), (unverified, 401)]:
        resp = await codec_client.post(
            "/codec/decode", json=body, headers={"Authorization": f"Bearer {token}"}
        )
        assert resp.status_code == status, resp.text
    static = await codec_client.post(
        "/codec/decode", json=body, headers={"Authorization": "Bearer operator-token"}
    )
    assert static.status_code == 200


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer tök-en".encode(),  # non-ASCII (UTF-8 bytes; Starlette reads them as Latin-1)
        b"Bearer \xff\xfe\xfd",
        "Bearer ключ".encode(),
        b"Bearer tok en",
        b"Bearer tok\x01en",
        b"Bearer a.b.c.d",
        b"Bearer ===",
    ],
)
async def test_malformed_or_non_ascii_bearer_token_gets_401(
    idp: FakeIdp, codec_client: httpx.AsyncClient, authorization: bytes
) -> None:
    resp = await codec_client.post(
        "/codec/decode", json=await _sealed(), headers={b"Authorization": authorization}
    )
    assert resp.status_code == 401
    assert resp.json()["error"] == "unauthorized"
    assert resp.headers["www-authenticate"] == "Bearer"
