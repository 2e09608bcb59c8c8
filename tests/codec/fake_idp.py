"""A local identity provider's userinfo endpoint: real HTTP on a free 127.0.0.1 port.

`idp.tokens[token] = claims` makes the provider accept `token` and answer `claims`; deleting
the entry revokes it. Every other bearer token gets 401, as a provider answers an invalid one.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeIdp:
    def __init__(self) -> None:
        self.tokens: dict[str, dict[str, object]] = {}
        self.calls = 0
        self.url = ""
        self._lock = threading.Lock()

    @property
    def userinfo_url(self) -> str:
        return f"{self.url}/userinfo"

    def answer(self, path: str, authorization: str | None) -> tuple[int, dict[str, object]]:
        with self._lock:
            self.calls += 1
            if path != "/userinfo":
                return 404, {"error": "not_found"}
            scheme, _, token = (authorization or "").partition(" ")
            claims = self.tokens.get(token) if scheme == "Bearer" else None
            if claims is None:
                return 401, {"error": "invalid_token"}
            return 200, dict(claims)


@contextmanager
def running_idp() -> Iterator[FakeIdp]:
    idp = FakeIdp()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body = idp.answer(self.path, self.headers.get("Authorization"))
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    idp.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield idp
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt(claims: dict[str, object]) -> str:
    """A JWT-shaped access token carrying `claims` (the signature is a placeholder: the
    codec reads `aud` only after the provider has accepted the token)."""
    header = _b64url(json.dumps({"alg": "RS256", "typ": "at+jwt"}).encode())
    return f"{header}.{_b64url(json.dumps(claims).encode())}.{_b64url(b'signature')}"
