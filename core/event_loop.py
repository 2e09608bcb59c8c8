"""The worker's event loop: uvloop where it is installed (not on Windows), else asyncio's.

The worker process runs the Temporal SDK's pollers, every activity's HTTP calls and the
workflow activations' completions on one loop; uvloop's cheaper callbacks and sockets leave
more of the process's one core (the GIL) to the workflows. uvicorn picks uvloop and
httptools up by itself for the API and the emulators.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)` on the loop of `loop_factory`."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)
