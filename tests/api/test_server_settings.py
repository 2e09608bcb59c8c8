"""[3 of 7] finding 8: the API process believes forwarded headers only from the proxies it
is told to trust, names no server, bounds its connections, and the stack's log files are not
world-readable. The real `python -m api` process, and the stack's own process launcher."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import httpx

from api.__main__ import server_options
from devstack.procs import Proc
from settings import Settings
from tests.api.support import DEV_ENV
from tests.support.processes import free_port, python_server

SPOOFED = "6.6.6.6"


def _client_logged(log_dir: Path, tmp_path: Path, name: str, trusted: str) -> tuple[str, str]:
    """(the access log, the `server` header) after a loopback request naming SPOOFED."""
    env = {
        **DEV_ENV,
        "CHARGEPAY_TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",  # not needed for /healthz
        "CHARGEPAY_API_RETENTION_CHECK": "off",
        "CHARGEPAY_TERMINAL_KEYS_FILE": str(tmp_path / f"{name}-keys.json"),
        "CHARGEPAY_API_METRICS_PORT": "0",
        "CHARGEPAY_API_TRUSTED_PROXIES": trusted,
    }
    with python_server(
        ["-m", "api", "--port", "{port}"],
        env=env,
        health_path="/healthz",
        log_dir=log_dir,
        name=name,
    ) as api:
        r = httpx.get(f"{api.url}/healthz", headers={"X-Forwarded-For": SPOOFED}, timeout=10)
        assert r.status_code == 200
        server = r.headers.get("server", "")
        access = [line for line in api.log_path.read_text().splitlines() if "/healthz" in line]
    return "\n".join(access), server


def test_forwarded_headers_only_from_trusted_proxies(log_dir: Path, tmp_path: Path) -> None:
    untrusted, server = _client_logged(log_dir, tmp_path, "api-no-proxy", trusted="")
    assert untrusted and SPOOFED not in untrusted and "127.0.0.1" in untrusted
    assert server == "", "the API names no server software"
    trusted, _ = _client_logged(log_dir, tmp_path, "api-proxy", trusted="127.0.0.1")
    assert SPOOFED in trusted, "a configured proxy's X-Forwarded-For is believed"


def test_connections_are_bounded() -> None:
    options = server_options(Settings(api_limit_concurrency=50))
    assert options["limit_concurrency"] == 50
    assert options["proxy_headers"] is False


def test_stack_log_files_are_not_world_readable(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "child.log"
    log.parent.mkdir()
    log.write_bytes(b"")
    log.chmod(0o644)  # left by an earlier run with a looser mode
    proc = Proc("child", [sys.executable, "-c", "print('hi')"], {}, log).start()
    assert proc.popen is not None and proc.popen.wait(timeout=30) == 0
    assert stat.S_IMODE(log.stat().st_mode) == 0o640
