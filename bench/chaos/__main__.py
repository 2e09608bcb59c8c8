"""`python -m bench.chaos [--quick] [--seed N] [--sessions N] [--keep-data]`.

Exit status: 0 when every figure that must be 0 is 0, 1 otherwise (the report names the
sessions and the seed to replay), 2 when the harness itself could not run.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import traceback

from bench.chaos import params as presets
from bench.chaos.run import run


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.chaos", description=__doc__)
    p.add_argument("--quick", action="store_true", help="60 sessions, < 10 minutes (CI)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--sessions", type=int, default=None)
    p.add_argument("--fault-window", type=float, default=None, help="seconds of faults")
    p.add_argument("--keep-data", action="store_true", help="keep the stack's data dir")
    args = p.parse_args(argv)
    build = presets.quick if args.quick else presets.full
    params = build(args.seed, args.sessions)
    if args.fault_window is not None:
        params = presets.with_window(params, args.fault_window)
    try:
        report = asyncio.run(run(params, keep_data=args.keep_data))
    except Exception:
        traceback.print_exc()
        return 2
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
