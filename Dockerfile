# syntax=docker/dockerfile:1
# One image for the worker (`python worker.py`) and the API (`python -m api`, the default).
# Build: docker build -t chargepay:dev .   (docker-compose.yml builds it for both services)

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- builder: resolve exactly what uv.lock says, production dependencies only ---------------
FROM ${PYTHON_IMAGE} AS builder
ARG UV_VERSION=0.13.9
# uv from PyPI, the same way `make install` bootstraps it.
RUN pip install --no-cache-dir "uv==${UV_VERSION}"
ENV UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never
WORKDIR /app
# Dependencies first: this layer is rebuilt only when the lock changes, not on every edit.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-dev --no-install-project
COPY . .
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-dev

# --- runtime: the venv and the code, no build tools, not root --------------------------------
FROM ${PYTHON_IMAGE} AS runtime
# WeasyPrint (receipt PDFs) needs pango; DejaVu is the receipt template's font.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 chargepay \
 && useradd --system --uid 10001 --gid chargepay --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin chargepay
WORKDIR /app
COPY --from=builder /app/.venv /app/.venv
# Code is owned by root and read-only to the service; only .data/ is writable.
COPY . .
RUN mkdir -p /app/.data && chown chargepay:chargepay /app/.data
ENV PATH="/app/.venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
USER chargepay:chargepay
EXPOSE 8000
CMD ["python", "-m", "api", "--host", "0.0.0.0", "--port", "8000"]
