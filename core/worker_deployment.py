"""Making a Worker Deployment Version current (docs/upgrades.md).

The SDK has no high-level call for it: this is the raw `SetWorkerDeploymentCurrentVersion`,
retried while the server cannot accept it yet, then `DescribeWorkerDeployment` until the new
routing has reached every task queue of the deployment, so that a workflow started after
`make_current` returns goes to the new version.
"""

from __future__ import annotations

import asyncio
import enum

import temporalio.api.workflowservice.v1 as wsv1
from temporalio.api.deployment.v1 import WorkerDeploymentInfo
from temporalio.api.enums.v1 import RoutingConfigUpdateState, WorkerDeploymentVersionStatus
from temporalio.client import Client
from temporalio.common import WorkerDeploymentVersion
from temporalio.service import RPCError, RPCStatusCode

# Long enough for every task queue of a starting worker to have polled once.
MAKE_CURRENT_WAIT_S = 60.0
# NOT_FOUND: the version (or the deployment) has not polled yet. FAILED_PRECONDITION: it
# does not yet poll every task queue the current version polls (its other workers are still
# starting). Both pass once the workers are up; the rest are the server being briefly busy.
_RETRIED = frozenset(
    {
        RPCStatusCode.NOT_FOUND,
        RPCStatusCode.FAILED_PRECONDITION,
        RPCStatusCode.UNAVAILABLE,
        RPCStatusCode.DEADLINE_EXCEEDED,
        RPCStatusCode.RESOURCE_EXHAUSTED,
        RPCStatusCode.ABORTED,
    }
)
# The server did not answer at all (the SDK's "transport error" while it is down), or not in
# time: the whole take-over is tried again once it is back (worker.start_version).
_UNREACHABLE = frozenset(
    {RPCStatusCode.UNKNOWN, RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED}
)
_ROUTED = (
    RoutingConfigUpdateState.ROUTING_CONFIG_UPDATE_STATE_COMPLETED,
    # A server that does not report propagation.
    RoutingConfigUpdateState.ROUTING_CONFIG_UPDATE_STATE_UNSPECIFIED,
)


class DeploymentError(RuntimeError):
    """The version could not be made current: the message says why."""


class TemporalUnreachable(RuntimeError):
    """Temporal did not answer (restarting, overloaded): the caller tries again."""


class TakeOver(enum.Enum):
    MADE_CURRENT = "made current"
    ALREADY_CURRENT = "already current"
    # It was current once and another version replaced it: it only drains its sessions.
    REPLACED = "replaced"


def canonical(version: WorkerDeploymentVersion) -> str:
    return version.to_canonical_string()


async def describe(client: Client, deployment_name: str) -> WorkerDeploymentInfo | None:
    """The deployment as the server sees it; None before any of its workers polled."""
    request = wsv1.DescribeWorkerDeploymentRequest(
        namespace=client.namespace, deployment_name=deployment_name
    )
    try:
        response = await client.workflow_service.describe_worker_deployment(request)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return None
        raise
    return response.worker_deployment_info


async def _describe_or_none(client: Client, deployment_name: str) -> WorkerDeploymentInfo | None:
    """`describe`, with a briefly busy server ("too many requests" while several workers of
    one release start at once) read as "not routed yet": the caller waits and asks again."""
    try:
        return await describe(client, deployment_name)
    except RPCError as exc:
        if exc.status == RPCStatusCode.UNKNOWN:
            raise TemporalUnreachable(f"{deployment_name}: {exc.message}") from exc
        if exc.status not in _RETRIED:
            raise
        return None


def is_routed(info: WorkerDeploymentInfo | None, version: WorkerDeploymentVersion) -> bool:
    """`version` is current and every task queue of the deployment routes to it."""
    if info is None:
        return False
    current = info.routing_config.current_deployment_version
    return (
        current.deployment_name == version.deployment_name
        and current.build_id == version.build_id
        and info.routing_config_update_state in _ROUTED
    )


def was_replaced(info: WorkerDeploymentInfo | None, version: WorkerDeploymentVersion) -> bool:
    """`version` was current once and is no longer (another version was made current)."""
    for summary in info.version_summaries if info else ():
        if summary.deployment_version.build_id != version.build_id:
            continue
        status = summary.status
        return (
            status != WorkerDeploymentVersionStatus.WORKER_DEPLOYMENT_VERSION_STATUS_CURRENT
            and summary.HasField("last_current_time")
        )
    return False


async def _pause(stop: asyncio.Event, delay: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), timeout=delay)
    except TimeoutError:
        pass


async def make_current(
    client: Client,
    version: WorkerDeploymentVersion,
    *,
    wait_s: float = MAKE_CURRENT_WAIT_S,
    ignore_missing_task_queues: bool = False,
    stop: asyncio.Event | None = None,
) -> str:
    """Make `version` its deployment's current version and wait until it is routed; return
    the previous current version ("" if none).

    Retries while the version has not registered or does not yet poll every task queue the
    current one polls, for at most `wait_s` (or until `stop` is set). Making the current
    version current again changes nothing, so every replica of a release may call this."""
    request = wsv1.SetWorkerDeploymentCurrentVersionRequest(
        namespace=client.namespace,
        deployment_name=version.deployment_name,
        build_id=version.build_id,
        identity=client.identity,
        ignore_missing_task_queues=ignore_missing_task_queues,
    )
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_s
    delay = 0.1
    while True:
        try:
            response = await client.workflow_service.set_worker_deployment_current_version(request)
            break
        except RPCError as exc:
            if exc.status == RPCStatusCode.UNKNOWN:
                raise TemporalUnreachable(f"{canonical(version)}: {exc.message}") from exc
            if exc.status not in _RETRIED:
                raise DeploymentError(f"{canonical(version)}: {exc.message}") from exc
            if loop.time() + delay > deadline or stop.is_set():
                gave_up = TemporalUnreachable if exc.status in _UNREACHABLE else DeploymentError
                raise gave_up(
                    f"{canonical(version)} not made current within {wait_s:.0f} s: {exc.message}"
                ) from exc
        await _pause(stop, delay)
        delay = min(delay * 2, 2.0)
    previous = response.previous_deployment_version
    delay = 0.05
    while not is_routed(await _describe_or_none(client, version.deployment_name), version):
        if loop.time() + delay > deadline or stop.is_set():
            raise DeploymentError(
                f"{canonical(version)} made current but not routed within {wait_s:.0f} s"
            )
        await _pause(stop, delay)
        delay = min(delay * 2, 1.0)
    return f"{previous.deployment_name}.{previous.build_id}" if previous.build_id else ""


async def take_over(
    client: Client,
    version: WorkerDeploymentVersion,
    *,
    wait_s: float = MAKE_CURRENT_WAIT_S,
    stop: asyncio.Event | None = None,
) -> TakeOver:
    """At a worker's start: make its version current unless another version replaced it.

    A new release's workers make their version current; a worker of an older release that
    restarts while its sessions drain (a crash, a rescheduled pod) must not take the new
    sessions back. Rolling back to an older version is an explicit promotion."""
    try:
        info = await describe(client, version.deployment_name)
    except RPCError as exc:
        if exc.status in _RETRIED or exc.status in _UNREACHABLE:
            raise TemporalUnreachable(f"{canonical(version)}: {exc.message}") from exc
        raise DeploymentError(f"{canonical(version)}: {exc.message}") from exc
    if is_routed(info, version):
        return TakeOver.ALREADY_CURRENT
    if was_replaced(info, version):
        return TakeOver.REPLACED
    await make_current(client, version, wait_s=wait_s, stop=stop)
    return TakeOver.MADE_CURRENT
