"""Backends for the payment tests: the acquirer emulator, and localstripe behind a fault
proxy, each a real subprocess on a free port for the whole session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.payments.backends import Backend, emulator_backend, stripe_backend
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
