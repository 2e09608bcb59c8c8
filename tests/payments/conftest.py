"""Backends for the payment tests: the acquirer emulator, and localstripe behind a fault
proxy, each a real subprocess on a free port for the whole session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from activities.payments.stripe_adapter import StripeGateway
from tests.payments.backends import Backend, emulator_backend, stripe_backend
from tests.payments.stripe_stub import StripeStub, stripe_stub_server
from tests.support.acquirer import AcquirerEmulator, acquirer_emulator
from tests.support.localstripe import LocalStripe, localstripe_server
from tests.support.processes import python_server


@pytest.fixture(scope="session")
def acquirer(log_dir: Path) -> Iterator[AcquirerEmulator]:
    with acquirer_emulator(log_dir, time_scale=60.0) as acq:
        yield acq


@pytest.fixture(scope="session")
def localstripe(log_dir: Path) -> Iterator[LocalStripe]:
    with localstripe_server(log_dir) as ls:
        yield ls


@pytest.fixture(scope="session")
def stripe_proxy_url(localstripe: LocalStripe, log_dir: Path) -> Iterator[str]:
    args = ["-m", "tests.payments.fault_proxy", "--port", "{port}", "--upstream", localstripe.url]
    with python_server(args, health_path="/_proxy/faults", log_dir=log_dir, name="proxy") as p:
        yield p.url


@pytest_asyncio.fixture(params=["emulator", "stripe"])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    if request.param == "emulator":
        built = emulator_backend(request.getfixturevalue("acquirer"))
    else:
        built = stripe_backend(
            request.getfixturevalue("localstripe"), request.getfixturevalue("stripe_proxy_url")
        )
    try:
        yield built
    finally:
        built.clear_faults()
        await built.gateway.aclose()


@pytest.fixture(scope="session")
def _stripe_stub_server() -> Iterator[StripeStub]:
    with stripe_stub_server() as stub:
        yield stub


@pytest.fixture
def stripe_stub(_stripe_stub_server: StripeStub) -> Iterator[StripeStub]:
    """The in-process Stripe stub, emptied for each test."""
    _stripe_stub_server.reset()
    yield _stripe_stub_server
    _stripe_stub_server.reset()


@pytest_asyncio.fixture
async def gateway(stripe_stub: StripeStub) -> AsyncIterator[StripeGateway]:
    """The Stripe adapter against the in-process stub."""
    gw = StripeGateway("sk_test_stub", stripe_stub.url, timeout_s=5.0)
    try:
        yield gw
    finally:
        await gw.aclose()
