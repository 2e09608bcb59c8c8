"""The Dockerfile: multi-stage, locked uv sync without dev deps, non-root runtime."""

from __future__ import annotations

import re

from tests.deploy.compose_file import REPO

DOCKERFILE = (REPO / "Dockerfile").read_text()
IGNORED = {
    line.strip()
    for line in (REPO / ".dockerignore").read_text().splitlines()
    if line.strip() and not line.startswith("#")
}


def _stages() -> list[list[str]]:
    """Instructions grouped by stage (continuation lines joined, comments dropped)."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    stages: list[list[str]] = []
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            stages.append([])
        if stages:
            stages[-1].append(line)
    return stages


def test_it_is_multi_stage_with_a_slim_python_runtime() -> None:
    stages = _stages()
    assert len(stages) >= 2
    assert re.search(r"ARG PYTHON_IMAGE=python:3\.11-slim", DOCKERFILE)
    assert " AS builder" in stages[0][0]


def test_the_builder_installs_exactly_the_lock_without_dev_dependencies() -> None:
    builder = " ".join(_stages()[0])
    assert re.search(r"pip install [^&]*\buv==", builder), "uv comes pinned from PyPI"
    syncs = re.findall(r"uv sync ([^&\n]*)", builder)
    assert syncs, "the builder runs uv sync"
    for flags in syncs:
        assert "--locked" in flags and "--no-dev" in flags
    assert "UV_PROJECT_ENVIRONMENT=/app/.venv" in builder


def test_the_runtime_runs_as_a_non_root_user() -> None:
    runtime = _stages()[-1]
    users = [line.split(None, 1)[1] for line in runtime if line.upper().startswith("USER ")]
    assert users, "the runtime stage sets USER"
    name = users[-1].split(":")[0]
    assert name not in ("root", "0")
    assert any("useradd" in line and name in line for line in runtime)
    assert any("COPY --from=builder /app/.venv" in line for line in runtime)
    assert not any("uv " in line for line in runtime), "no build tools in the runtime stage"


def test_default_command_is_the_api() -> None:
    cmd = [line for line in _stages()[-1] if line.startswith("CMD ")][-1]
    assert cmd.startswith('CMD ["python", "-m", "api"')


def test_secrets_and_local_state_stay_out_of_the_build_context() -> None:
    assert {".git", ".venv", ".env", ".data", "tests"} <= IGNORED
