"""openapi-core over httpx: the vendored Monta spec, loaded once, and request/response adapters.

The vendored file is never edited; `load_spec()` returns an in-memory copy with these
minimal changes, each for a construct openapi-core reads differently from Monta's intent:

1. `servers` -> `/`: the spec names partner-api.monta.com; we validate against the emulator.
2. `nullable: true` next to a `$ref` or `allOf: [$ref, {}]`: in OpenAPI 3.0 `nullable`
   does not reach into the referenced schema, so `"teamMember": null` fails although the
   spec marks the property nullable. The reference is pointed at a nullable twin of the
   component instead (same schema plus `nullable: true`).
3. `Consumer.scopes` items carry an enum of the legacy unsuffixed scope names only
   (`charge-points`, ...), while the spec's own endpoint docs require `entity:permission`
   scopes (`charges:write`, `manage-webhooks:write`) that the enum cannot express; Monta's
   docs say `/consumers/me` may return either form. The enum is dropped.
"""

from __future__ import annotations

import copy
import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import yaml
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

SPEC_PATH = Path(__file__).resolve().parents[2] / "spec" / "monta-openapi-v1.yaml"
# sha256 of Monta's published spec as vendored: the copy must not drift.
SPEC_SHA256 = "ce8db8d61e6d02f483b54da0020563984636cfd4cec1983e98396c649ae34702"
_SCHEMA_PREFIX = "#/components/schemas/"


def spec_digest() -> str:
    return hashlib.sha256(SPEC_PATH.read_bytes()).hexdigest()


@lru_cache(maxsize=1)
def raw_spec() -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    doc: dict[str, Any] = yaml.load(SPEC_PATH.read_bytes(), Loader=loader)
    return doc


def _nullable_refs(spec: dict[str, Any]) -> None:
    comps: dict[str, Any] = spec["components"]["schemas"]

    def twin(ref: str) -> str:
        name = ref.removeprefix(_SCHEMA_PREFIX)
        twin_name = f"{name}__nullable"
        if twin_name not in comps:
            comps[twin_name] = {**comps[name], "nullable": True}
        return _SCHEMA_PREFIX + twin_name

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("nullable") is True:
                if "$ref" in node:
                    node["$ref"] = twin(node["$ref"])
                for sub in node.get("allOf", []):
                    if "$ref" in sub:
                        sub["$ref"] = twin(sub["$ref"])
            for value in list(node.values()):
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec["paths"])
    for schema in list(comps.values()):
        walk(schema)


def load_spec() -> dict[str, Any]:
    spec = copy.deepcopy(raw_spec())
    spec["servers"] = [{"url": "/"}]
    _nullable_refs(spec)
    spec["components"]["schemas"]["Consumer"]["properties"]["scopes"]["items"].pop("enum", None)
    return spec


@lru_cache(maxsize=1)
def openapi() -> OpenAPI:
    # The spec document itself is not re-validated (slow on 870 KB, and not what we test).
    return OpenAPI.from_dict(load_spec(), config=Config(spec_validator_cls=None))


def operations() -> dict[str, tuple[str, str]]:
    """operationId -> (METHOD, path template) from the vendored spec."""
    out = {}
    for path, item in raw_spec()["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and "operationId" in op:
                out[op["operationId"]] = (method.upper(), path)
    return out


class OpenAPIRequest:
    def __init__(self, request: httpx.Request) -> None:
        url = request.url
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(parse_qs(url.query.decode(), keep_blank_values=True)),
            header=Headers(dict(request.headers)),
            cookie=ImmutableMultiDict(),
        )
        self.host_url = f"{url.scheme}://{url.netloc.decode()}"
        self.path = url.path
        self.method = request.method.lower()
        self.body: bytes | None = request.content or None
        self.content_type = request.headers.get("content-type", "")


class OpenAPIResponse:
    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self.headers = Headers(dict(response.headers))
        self.data: bytes | None = response.content
        self.content_type = response.headers.get("content-type", "")


def validate(response: httpx.Response, *, request_is_valid: bool = True) -> None:
    """Raise if the response (and, unless a test sends bad input on purpose, the request)
    breaks the spec. Deliberately invalid requests must still get a spec-valid response."""
    req = OpenAPIRequest(response.request)
    if request_is_valid:
        openapi().validate_request(req)
    openapi().validate_response(req, OpenAPIResponse(response))
