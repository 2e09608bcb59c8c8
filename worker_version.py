"""This checkout's worker version, and making a version current (docs/upgrades.md).

    python -m worker_version show
    python -m worker_version promote [--build-id ID] [--wait S] [--ignore-missing-task-queues]

`promote` is the raw `SetWorkerDeploymentCurrentVersion` (core/worker_deployment.py): new
sessions then start on that version, the watcher and reconciliation move to it, sessions
already running stay on theirs. Workers make their own new version current at start unless
`CHARGEPAY_WORKER_MAKE_CURRENT` is off; this is for a controlled rollout and for a rollback.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from temporalio.client import Client
from temporalio.common import WorkerDeploymentVersion

from codec.converter import build_data_converter
from core.worker_deployment import MAKE_CURRENT_WAIT_S, DeploymentError, make_current
from settings import Settings, get_settings
from worker import deployment_version


async def _promote(settings: Settings, args: argparse.Namespace) -> str:
    version = WorkerDeploymentVersion(
        settings.worker_deployment_name, args.build_id or deployment_version(settings).build_id
    )
    client = await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=build_data_converter(),
    )
    previous = await make_current(
        client,
        version,
        wait_s=args.wait,
        ignore_missing_task_queues=args.ignore_missing_task_queues,
    )
    return f"current: {version.to_canonical_string()} (was {previous or 'none'})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m worker_version", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("show", help="print this checkout's version (<deployment>.<build id>)")
    promote = sub.add_parser("promote", help="make a version current (new sessions go to it)")
    promote.add_argument("--build-id", help="default: this checkout's build id")
    promote.add_argument("--wait", type=float, default=MAKE_CURRENT_WAIT_S, help="seconds")
    promote.add_argument(
        "--ignore-missing-task-queues",
        action="store_true",
        help="only when a task queue of the current version is gone for good",
    )
    args = parser.parse_args(argv)
    settings = get_settings()
    if args.command == "show":
        print(deployment_version(settings).to_canonical_string())
        return 0
    try:
        print(asyncio.run(_promote(settings, args)))
    except DeploymentError as exc:
        print(f"promote failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
