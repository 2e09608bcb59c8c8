"""The ingress must not take an API replica out of rotation for a failure it saw once.

nginx's passive health check, at its defaults (`max_fails=1 fail_timeout=10s`), marks an
upstream down for 10 s after one failed or timed-out request. Under load both replicas time
out now and then, and nginx then answered 502 to every request for 10 s, Monta's webhooks
included, although both replicas were up. The production template's upstreams carry
`max_fails=0`: each request tries the replicas afresh, and a replica that refuses the
connection still passes the request to the next one.

Here the replicas are stand-ins (a few lines of HTTP), since the question is nginx's
routing, not the API's answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread

import httpx
import pytest

from devstack.ingress import NGINX_MISSING, nginx_binary, start_nginx
from devstack.procs import free_port, tcp_open, wait_until

pytestmark = pytest.mark.timeout(120)


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        return


class _Replica:
    """An upstream that is down until `up()`: its port refuses connections until then."""

    def __init__(self) -> None:
        self.port = free_port()
        self.server: ThreadingHTTPServer | None = None

    def up(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), _Ok)
        Thread(target=self.server.serve_forever, daemon=True).start()

    def down(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@pytest.fixture
def replicas() -> Iterator[list[_Replica]]:
    pair = [_Replica(), _Replica()]
    yield pair
    for replica in pair:
        replica.down()


def test_a_replica_back_up_is_used_at_once(tmp_path: Path, replicas: list[_Replica]) -> None:
    if nginx_binary() is None:
        pytest.skip(NGINX_MISSING + "; .ci/run installs it")
    listen = free_port()
    ports = [r.port for r in replicas]
    nginx = start_nginx(tmp_path / "nginx", tmp_path / "logs", listen, ports, "100r/s")
    try:
        wait_until(lambda: tcp_open(listen), "nginx", nginx, timeout_s=30)
        with httpx.Client(base_url=f"http://127.0.0.1:{listen}", timeout=10) as http:
            # Both replicas down (restarting, say): nothing can answer.
            assert http.get("/healthz").status_code == 502
            replicas[0].up()
            # Up again: the next request reaches it, not nginx's "no live upstreams".
            answers = [http.get("/healthz").status_code for _ in range(4)]
        assert answers == [200] * 4, answers
        assert "no live upstreams" not in (tmp_path / "nginx" / "error.log").read_text()
    finally:
        nginx.stop()
