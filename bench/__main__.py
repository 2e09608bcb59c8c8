"""`python -m bench --quick | --full`: run the stack under load, write bench/results/."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path

from bench import plan as plans
from bench.run import RESULTS, run


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--quick", action="store_true", help="100 open sessions, AC+DC mix")
    mode.add_argument("--full", action="store_true", help="10/100/500 open, AC and DC")
    mode.add_argument("--tiny", action="store_true", help="a few sessions: the harness's test")
    p.add_argument("--out", type=Path, default=RESULTS, help="results directory")
    p.add_argument("--keep", action="store_true", help="keep the stack's data dir and logs")
    p.add_argument("--workers", type=int, help="worker processes on each side (default 1)")
    args = p.parse_args(argv)
    chosen = plans.quick() if args.quick else plans.tiny() if args.tiny else plans.full()
    if args.workers:
        chosen = dataclasses.replace(chosen, worker_processes=args.workers)
    doc = asyncio.run(run(chosen, args.out, args.keep))
    print(json.dumps(doc["targets"], indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
