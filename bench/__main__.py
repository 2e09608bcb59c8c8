"""`python -m bench --quick | --full`: run the stack under load, write bench/results/."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path

from bench import full
from bench import plan as plans
from bench.run import RESULTS, run


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--quick", action="store_true", help="100 open sessions, AC+DC mix")
    mode.add_argument("--full", action="store_true", help="the full run's parts (--only PART)")
    mode.add_argument("--tiny", action="store_true", help="a few sessions: the harness's test")
    p.add_argument("--out", type=Path, default=RESULTS, help="results directory")
    p.add_argument(
        "--features",
        action="store_true",
        help="--quick/--tiny: incremental authorization and idle fees on (bench/features.py)",
    )
    p.add_argument("--keep", action="store_true", help="keep the stack's data dir and logs")
    p.add_argument("--workers", type=int, help="worker processes on each side (default 1)")
    p.add_argument(
        "--only", action="append", choices=full.PARTS, default=[], help="--full: this part"
    )
    p.add_argument("--merge", nargs="+", type=Path, help="--full: join these part files")
    p.add_argument("--smoke", action="store_true", help="--full: every part at a small size")
    p.add_argument("--budget-s", type=float, default=full.BUDGET_S, help="--full: time budget")
    args = p.parse_args(argv)
    if args.full:
        if args.merge:
            doc = full.merge([json.loads(f.read_text()) for f in args.merge])
            print(full.write(doc, args.out, doc["parts"]))
            return 0
        if args.smoke:
            from bench import parts

            parts.shrink()
        print(asyncio.run(full.run_full(args.only, args.out, args.budget_s)))
        return 0
    chosen = plans.quick() if args.quick else plans.tiny()
    if args.features:
        chosen = plans.with_features(chosen)
    if args.workers:
        chosen = dataclasses.replace(chosen, worker_processes=args.workers)
    doc = asyncio.run(run(chosen, args.out, args.keep))
    print(json.dumps(doc["targets"], indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
