"""Structured JSON logs: one object per line, with the session it belongs to.

Every line carries `service`, and where it applies `session_id` (= the session workflow id),
`workflow_id`, `run_id`, `workflow_type`, `activity_type`, `attempt` (from Temporal's
workflow/activity context) and `monta_charge_id` (from the workflow's MontaChargeId search
attribute, or bound by the caller). API code binds its own context with `bind(...)`.
Card numbers never reach the output: a filter and the formatter both run the PAN redaction.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from temporalio import activity, workflow

from observability.redact import redact_text, redact_value
from workflows.search_attributes import MONTA_CHARGE_ID

SESSION_PREFIX = "session-"
_BOUND: ContextVar[Mapping[str, Any]] = ContextVar(
    "chargepay_log_context", default=MappingProxyType({})
)
# Attributes every LogRecord has; anything else on a record is an `extra` worth emitting.
_RECORD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}
# The SDK's logger adapters put their context dicts under these names.
_TEMPORAL_EXTRAS = ("temporal_workflow", "temporal_activity")


@contextmanager
def bind(**fields: Any) -> Iterator[None]:
    """Add fields (e.g. session_id, monta_charge_id) to every log line in this context."""
    token = _BOUND.set({**_BOUND.get(), **{k: v for k, v in fields.items() if v is not None}})
    try:
        yield
    finally:
        _BOUND.reset(token)


def bound() -> dict[str, Any]:
    return dict(_BOUND.get())


def _session_fields(workflow_id: str) -> dict[str, Any]:
    return {"session_id": workflow_id} if workflow_id.startswith(SESSION_PREFIX) else {}


def temporal_context() -> dict[str, Any]:
    """Workflow/activity identity of the code that is logging, if it runs under Temporal."""
    if activity.in_activity():
        a = activity.info()
        return {
            **_session_fields(a.workflow_id or ""),
            "workflow_id": a.workflow_id,
            "run_id": a.workflow_run_id,
            "workflow_type": a.workflow_type,
            "activity_type": a.activity_type,
            "activity_id": a.activity_id,
            "attempt": a.attempt,
            "task_queue": a.task_queue,
        }
    if workflow.in_workflow():
        return _workflow_fields()
    return {}


def _workflow_fields() -> dict[str, Any]:
    w = workflow.info()
    fields: dict[str, Any] = {
        **_session_fields(w.workflow_id),
        "workflow_id": w.workflow_id,
        "run_id": w.run_id,
        "workflow_type": w.workflow_type,
        "task_queue": w.task_queue,
        "replaying": workflow.unsafe.is_replaying(),
    }
    charge_id = w.typed_search_attributes.get(MONTA_CHARGE_ID)
    if charge_id is not None:
        fields["monta_charge_id"] = charge_id
    return fields


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "service": self.service,
        }
        out.update(temporal_context())
        out.update(bound())
        for key, value in record.__dict__.items():
            if key in _TEMPORAL_EXTRAS and isinstance(value, Mapping):
                out.update({k: v for k, v in value.items() if k not in out})
            elif key not in _RECORD_ATTRS and not key.startswith("_"):
                out[key] = value
        if "session_id" not in out and isinstance(out.get("workflow_id"), str):
            out.update(_session_fields(out["workflow_id"]))
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        # Redact the finished line too: exceptions and reprs of objects are text by now.
        return redact_text(json.dumps(redact_value(out), default=str, ensure_ascii=False))


class RedactingFilter(logging.Filter):
    """Rewrites a record's message and extras without PANs (for any handler/formatter)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_text(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        for key, value in list(record.__dict__.items()):
            if key not in _RECORD_ATTRS:
                setattr(record, key, redact_value(value))
        return True


def configure_logging(
    service: str, level: str | int = "INFO", fmt: str = "json", stream: Any = None
) -> logging.Handler:
    """One handler on the root logger (JSON or plain text), PAN redaction on it."""
    handler = logging.StreamHandler(stream or sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter(service))
        # The JSON line already carries the workflow/activity fields: no repeat in the text.
        activity.logger.activity_info_on_message = False
        workflow.logger.workflow_info_on_message = False
    else:
        handler.setFormatter(
            logging.Formatter(f"%(asctime)s %(levelname)s {service} %(name)s %(message)s")
        )
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level if isinstance(level, int) else level.upper())
    # uvicorn and the SDK log through their own loggers: send them to the root handler.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "temporalio"):
        lg = logging.getLogger(name)
        lg.handlers.clear()
        lg.propagate = True
    return handler


def uvicorn_log_config() -> dict[str, Any]:
    """`uvicorn.run(..., log_config=uvicorn_log_config())`: keep uvicorn on the root handler."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "loggers": {
            name: {"handlers": [], "propagate": True}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }
