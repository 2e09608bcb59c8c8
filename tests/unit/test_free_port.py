"""Stacks started side by side (the fault matrix's lanes) must not be handed one port twice:
the kernel may offer a port again once the probe socket closes, before a lane binds it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from devstack.procs import free_port


def test_no_port_is_handed_out_twice_even_across_threads() -> None:
    with ThreadPoolExecutor(4) as pool:
        ports = list(pool.map(lambda _: free_port(), range(400)))
    assert len(set(ports)) == len(ports)
