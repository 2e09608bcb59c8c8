"""nginx in front of the stack's API replicas, from the production template
(deploy/nginx/chargepay.conf.template): the same routing, body cap, per-key rate limit and
client-address rule the compose stack runs."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from devstack.envfile import REPO
from devstack.procs import Proc, spawn

TEMPLATE = REPO / "deploy" / "nginx" / "chargepay.conf.template"
# nginx's passive health check off: at its defaults one slow answer takes a replica out for
# 10 s, and under load both then answer 502 to everyone (docs/production.md#ingress). A
# replica that refuses the connection still passes the request to the next one.
UPSTREAM_PARAMS = "max_fails=0"
NGINX_MISSING = "nginx is not installed: `apt-get install nginx` (Debian's package)"


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).exists()), None
    )


def render(listen_port: int, upstream_ports: list[int], rate: str) -> str:
    """The template with the stack's ports, as nginx's official image renders it."""
    values = {
        "CHARGEPAY_INGRESS_UPSTREAMS": "\n".join(
            f"    server 127.0.0.1:{port} {UPSTREAM_PARAMS};" for port in upstream_ports
        ),
        "CHARGEPAY_INGRESS_LISTEN": f"127.0.0.1:{listen_port}",
        "CHARGEPAY_INGRESS_RATE": rate,
    }
    # Only ${CHARGEPAY_...}, like the image's envsubst with its own variables: nginx's own
    # $variables stay as they are.
    return re.sub(r"\$\{(CHARGEPAY_[A-Z_]+)\}", lambda m: values[m.group(1)], TEMPLATE.read_text())


def main_config(work_dir: Path, site: Path) -> str:
    """A main nginx.conf for an unprivileged nginx whose files all live in `work_dir`."""
    temp = {name: work_dir / name for name in ("client", "proxy", "fastcgi", "uwsgi", "scgi")}
    return "\n".join(
        [
            f"pid {work_dir / 'nginx.pid'};",
            f"error_log {work_dir / 'error.log'} warn;",
            "worker_processes 1;",
            "events { worker_connections 1024; }",
            "http {",
            f"    access_log {work_dir / 'access.log'};",
            f"    client_body_temp_path {temp['client']};",
            f"    proxy_temp_path {temp['proxy']};",
            f"    fastcgi_temp_path {temp['fastcgi']};",
            f"    uwsgi_temp_path {temp['uwsgi']};",
            f"    scgi_temp_path {temp['scgi']};",
            f"    include {site};",
            "}",
            "",
        ]
    )


def start_nginx(
    work_dir: Path, log_dir: Path, listen_port: int, upstream_ports: list[int], rate: str
) -> Proc:
    binary = nginx_binary()
    if binary is None:
        raise RuntimeError(NGINX_MISSING)
    work_dir.mkdir(parents=True, exist_ok=True)
    site = work_dir / "chargepay.conf"
    site.write_text(render(listen_port, upstream_ports, rate))
    conf = work_dir / "nginx.conf"
    conf.write_text(main_config(work_dir, site))
    argv = [binary, "-e", str(work_dir / "error.log"), "-c", str(conf), "-g", "daemon off;"]
    return spawn("nginx", argv, {"PATH": "/usr/sbin:/usr/bin:/bin"}, log_dir, listen_port)
