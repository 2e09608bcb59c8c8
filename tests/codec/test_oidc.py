"""The UI's OIDC access token is accepted only if the provider's userinfo endpoint vouches."""

from __future__ import annotations

import httpx

from codec.oidc import userinfo_verifier

USERINFO = "https://idp.example.test/userinfo"
GOOD = "good-access-token"


class FakeProvider:
    """A userinfo endpoint that knows one token and counts its calls."""

    def __init__(self, email: str = "ops@chargepay.example") -> None:
        self.email = email
        self.calls = 0

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if request.headers.get("authorization") != f"Bearer {GOOD}":
            return httpx.Response(401, json={"error": "invalid_token"})
        return httpx.Response(200, json={"sub": "u1", "email": self.email})

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self.handle))


async def test_provider_accepted_token_passes() -> None:
    provider = FakeProvider()
    async with provider.client() as client:
        verify = userinfo_verifier(USERINFO, client=client)
        assert await verify(GOOD)
        assert not await verify("forged")


async def test_allowlist_narrows_to_the_operations_staff() -> None:
    provider = FakeProvider(email="Driver@Example.com")
    async with provider.client() as client:
        staff_only = userinfo_verifier(
            USERINFO, allowed_emails=["ops@chargepay.example"], client=client
        )
        assert not await staff_only(GOOD)
        driver_ok = userinfo_verifier(
            USERINFO, allowed_emails=["driver@example.com"], client=client
        )
        assert await driver_ok(GOOD)


async def test_positive_answers_are_cached_until_the_ttl() -> None:
    provider = FakeProvider()
    clock = [100.0]
    async with provider.client() as client:
        verify = userinfo_verifier(USERINFO, client=client, cache_ttl_s=60, now=lambda: clock[0])
        assert await verify(GOOD)
        assert await verify(GOOD)
        assert provider.calls == 1
        clock[0] += 61
        assert await verify(GOOD)
        assert provider.calls == 2


async def test_an_unreachable_provider_fails_closed() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("provider down", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(down)) as client:
        verify = userinfo_verifier(USERINFO, client=client)
        assert not await verify(GOOD)
