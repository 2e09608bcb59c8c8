"""The Temporal fixtures come up from the wheels and know the project's search attributes."""

from __future__ import annotations

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.testing import WorkflowEnvironment

from workflows.search_attributes import ALL


async def test_dev_server_has_search_attributes(temporal_env: WorkflowEnvironment) -> None:
    resp = await temporal_env.client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=temporal_env.client.namespace)
    )
    for key in ALL:
        assert key.name in resp.custom_attributes
        expected = IndexedValueType.Value(f"INDEXED_VALUE_TYPE_{key.indexed_value_type.name}")
        assert resp.custom_attributes[key.name] == expected


async def test_time_skipping_server_starts(time_skipping_env: WorkflowEnvironment) -> None:
    assert time_skipping_env.supports_time_skipping
