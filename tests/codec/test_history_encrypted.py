"""On a real Temporal server, a session's input and result are stored encrypted.

A client with the codec starts a tiny workflow; a client WITHOUT the codec reads the raw
history and must find ciphertext only, never the card's last 4 or the authorization ref.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest
from pydantic import BaseModel
from temporalio import workflow
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from codec.aes_gcm import ENCODING
from codec.converter import build_data_converter
from tests.codec.keyring_factory import keyring_spec
from workflows.idempotency import MEMO_DIGEST, check_digest

pytestmark = pytest.mark.integration

LAST4 = "4242"
AUTH_REF = "authref-9b1e44c0-not-for-history"


class CardInput(BaseModel):
    card_last4: str
    authorization_ref: str


@workflow.defn(sandboxed=False)
class EchoCardWorkflow:
    @workflow.run
    async def run(self, card: CardInput) -> str:
        return f"captured on {card.card_last4} via {card.authorization_ref}"


async def test_history_holds_ciphertext_not_card_data(temporal_env: WorkflowEnvironment) -> None:
    service = temporal_env.client.service_client
    namespace = temporal_env.client.namespace
    converter = build_data_converter(SimpleNamespace(codec_keys=keyring_spec("k1")))
    sealed_client = Client(service, namespace=namespace, data_converter=converter)
    raw_client = Client(service, namespace=namespace, data_converter=pydantic_data_converter)

    queue = f"codec-{uuid.uuid4()}"
    async with Worker(sealed_client, task_queue=queue, workflows=[EchoCardWorkflow]):
        handle = await sealed_client.start_workflow(
            EchoCardWorkflow.run,
            CardInput(card_last4=LAST4, authorization_ref=AUTH_REF),
            id=f"codec-test-{uuid.uuid4()}",
            task_queue=queue,
        )
        result = await handle.result()
    assert result == f"captured on {LAST4} via {AUTH_REF}"

    history = await raw_client.get_workflow_handle(handle.id).fetch_history()
    raw = b"".join(event.SerializeToString() for event in history.events)
    assert LAST4.encode() not in raw
    assert AUTH_REF.encode() not in raw

    started = history.events[0].workflow_execution_started_event_attributes
    [stored_input] = started.input.payloads
    assert stored_input.metadata["encoding"] == ENCODING


@workflow.defn(sandboxed=False)
class DigestCheckWorkflow:
    """The session's idempotency check (workflows/idempotency.py) on an encrypted memo."""

    @workflow.run
    async def run(self) -> None:
        await workflow.wait_condition(lambda: False, timeout=timedelta(seconds=30))

    @workflow.update
    def join(self, digest: str) -> str:
        return digest

    @join.validator
    def _check(self, digest: str) -> None:
        check_digest(workflow.memo_value(MEMO_DIGEST, None, type_hint=str), digest)


async def test_digest_check_reads_the_encrypted_memo(temporal_env: WorkflowEnvironment) -> None:
    service = temporal_env.client.service_client
    converter = build_data_converter(SimpleNamespace(codec_keys=keyring_spec("k1")))
    sealed_client = Client(
        service, namespace=temporal_env.client.namespace, data_converter=converter
    )
    queue = f"codec-{uuid.uuid4()}"
    async with Worker(sealed_client, task_queue=queue, workflows=[DigestCheckWorkflow]):
        handle = await sealed_client.start_workflow(
            DigestCheckWorkflow.run,
            id=f"codec-digest-{uuid.uuid4()}",
            task_queue=queue,
            memo={MEMO_DIGEST: "a" * 64},
        )
        assert await handle.execute_update(DigestCheckWorkflow.join, "a" * 64) == "a" * 64
        with pytest.raises(WorkflowUpdateFailedError):
            await handle.execute_update(DigestCheckWorkflow.join, "b" * 64)
        history = await handle.fetch_history()
        await handle.terminate()
    memo = history.events[0].workflow_execution_started_event_attributes.memo
    assert memo.fields[MEMO_DIGEST].metadata["encoding"] == ENCODING
