"""A Temporal outage while a starting worker makes its version current is retried, not
fatal: every call of `take_over` turns "the server did not answer" into
TemporalUnreachable, which the worker's start-up retries (worker.start_version)."""

from __future__ import annotations

from typing import Any

import pytest
import temporalio.api.workflowservice.v1 as wsv1
from temporalio.common import WorkerDeploymentVersion
from temporalio.service import RPCError, RPCStatusCode

from core.worker_deployment import TemporalUnreachable, take_over

VERSION = WorkerDeploymentVersion(deployment_name="chargepay", build_id="b1")


def _transport_error() -> RPCError:
    return RPCError("transport error", RPCStatusCode.UNKNOWN, b"")


class _Service:
    """Answers DescribeWorkerDeployment "not found" once, then fails the way a server that
    went away does, at the step named by `fail_at`."""

    def __init__(self, fail_at: str) -> None:
        self.fail_at = fail_at
        self.describes = 0

    async def describe_worker_deployment(self, _request: Any) -> Any:
        self.describes += 1
        if self.describes == 1:
            raise RPCError("not found", RPCStatusCode.NOT_FOUND, b"")
        if self.fail_at == "describe":
            raise _transport_error()
        return wsv1.DescribeWorkerDeploymentResponse()

    async def set_worker_deployment_current_version(self, _request: Any) -> Any:
        if self.fail_at == "set_current":
            raise _transport_error()
        return wsv1.SetWorkerDeploymentCurrentVersionResponse()


class _Client:
    namespace = "default"
    identity = "test"

    def __init__(self, fail_at: str) -> None:
        self.workflow_service = _Service(fail_at)


@pytest.mark.parametrize("fail_at", ["set_current", "describe"])
async def test_an_outage_while_making_current_is_retried(fail_at: str) -> None:
    with pytest.raises(TemporalUnreachable):
        await take_over(_Client(fail_at), VERSION, wait_s=5)  # type: ignore[arg-type]
