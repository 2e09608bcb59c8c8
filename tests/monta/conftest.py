"""Fixtures for the Monta client/activity integration tests: one emulator per module (reset
between tests) and a fresh alpha client per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from activities.monta.client import MontaClient
from tests.support.monta_emulator import MontaEmulator, monta_emulator

ALPHA = ("alpha-client", "alpha-secret-change-me")


def alpha_client(emu: MontaEmulator, *, timeout_s: float = 5.0, **kw: object) -> MontaClient:
    return MontaClient(emu.base_url, *ALPHA, timeout_s=timeout_s, operator="alpha", **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def emu_module(log_dir: Path) -> Iterator[MontaEmulator]:
    with monta_emulator(log_dir, time_scale=100.0) as emu:
        yield emu


@pytest.fixture
def emu(emu_module: MontaEmulator) -> MontaEmulator:
    emu_module.reset()
    emu_module.set_faults([])
    return emu_module


@pytest_asyncio.fixture
async def client(emu: MontaEmulator) -> AsyncIterator[MontaClient]:
    async with alpha_client(emu) as c:
        yield c
