"""`make screenshots`: Temporal UI screenshots of a live and a finished session, for the docs.

Starts the embedded stack on free ports (`devstack.Stack`), runs one demo session to the end
and leaves a second one charging, then takes headless screenshots with Debian's Chromium
(`apt-get install chromium`; nothing is downloaded at run time) into docs/img/:

  sessions-list.png            the workflow list filtered by search attributes
  session-live.png             the charging session: summary and live current details
  session-live-attributes.png  the charging session's search attributes
  session-completed.png        the finished session: input, result, event history

python scripts/screenshots.py [--out docs/img] [--time-scale 30] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

import aiohttp
import httpx
from temporalio.client import Client

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from devstack.demo import (  # noqa: E402
    DEMO_TERMINAL,
    provision_demo_key,
    run_demo,
    session_body,
)
from devstack.procs import free_port  # noqa: E402
from devstack.stack import Stack, StackConfig, StackPorts  # noqa: E402

LIVE_CHARGE_POINT = 101  # AC 11 kW: a 150 EUR hold keeps it charging for many minutes
LIVE_AMOUNT = {"amount_minor": 15000, "currency": "EUR"}
LIVE_CARD = "5555555555554444"  # a test card: the acquirer emulator keeps only brand + last 4
WIDTH, HEIGHT = 1400, 1000
PAGE_TIMEOUT_S = 30
PAGE_ATTEMPTS = 4
SETTLE_S = 4.0


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise SystemExit("chromium not found: apt-get install -y chromium")


class Browser:
    """Headless Chromium driven over the DevTools protocol (aiohttp websocket).

    `--screenshot` with `--virtual-time-budget` never returns on a running workflow's page
    (the UI long-polls its history, which stops virtual time), so pages are loaded for real
    and shot once the text they must show is there.
    """

    def __init__(self, port: int, profile: str) -> None:
        self.port, self.profile = port, profile
        self.proc: subprocess.Popen[bytes] | None = None
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.session: aiohttp.ClientSession | None = None
        self._id = 0

    async def __aenter__(self) -> Browser:
        self.proc = await asyncio.to_thread(
            subprocess.Popen,
            [
                chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                f"--user-data-dir={self.profile}", f"--window-size={WIDTH},{HEIGHT}",
                f"--remote-debugging-port={self.port}", "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        ws_url = await self._page_ws_url()
        self.ws = await self.session.ws_connect(ws_url, max_msg_size=0)
        await self.call("Page.enable")
        await self.call(
            "Emulation.setDeviceMetricsOverride",
            width=WIDTH, height=HEIGHT, deviceScaleFactor=1, mobile=False,
        )  # fmt: skip
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.session is not None:
            await self.session.close()
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    async def _page_ws_url(self) -> str:
        assert self.session is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                async with self.session.get(f"http://127.0.0.1:{self.port}/json/list") as r:
                    pages = [t for t in await r.json() if t.get("type") == "page"]
                if pages:
                    return str(pages[0]["webSocketDebuggerUrl"])
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
        raise TimeoutError("Chromium's DevTools endpoint did not come up")

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        assert self.ws is not None
        self._id += 1
        await self.ws.send_json({"id": self._id, "method": method, "params": params})
        while True:
            msg = await self.ws.receive_json(timeout=60)
            if msg.get("id") == self._id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return dict(msg.get("result", {}))

    async def text(self) -> str:
        res = await self.call(
            "Runtime.evaluate", expression="document.body ? document.body.innerText : ''"
        )
        return str(res.get("result", {}).get("value", ""))

    async def shoot(self, url: str, out: Path, must_show: list[str]) -> None:
        """Load `url` until every string in `must_show` is on the page, then save a PNG.

        A workflow page sometimes stays a bare header on its first load: load it again.
        """
        missing = must_show
        for _ in range(PAGE_ATTEMPTS):
            await self.call("Page.navigate", url=url)
            deadline = time.monotonic() + PAGE_TIMEOUT_S
            while missing and time.monotonic() < deadline:
                await asyncio.sleep(1)
                text = await self.text()
                missing = [s for s in must_show if s not in text]
            if not missing:
                break
        if missing:
            tail = (await self.text())[-600:]
            raise RuntimeError(f"{url} never showed {missing}; the page ends with:\n{tail}")
        await asyncio.sleep(SETTLE_S)  # let the last requests and frames paint
        shot = await self.call("Page.captureScreenshot", format="png")
        await asyncio.to_thread(out.write_bytes, base64.b64decode(shot["data"]))
        print(f"  {out.name}  <- {url}", flush=True)


def start_live_session(api_url: str, payments_url: str, key: str) -> str:
    """A bigger hold on an AC point: the session is still charging when the UI is shot."""
    hold = {"terminal_id": DEMO_TERMINAL, "card_number": LIVE_CARD, **LIVE_AMOUNT}
    ref = httpx.post(f"{payments_url}/v1/terminal/holds", json=hold, timeout=10).json()
    body = {
        **session_body(str(ref["authorization_ref"])),
        "charge_point_id": LIVE_CHARGE_POINT,
        "amount": LIVE_AMOUNT,
        "card_brand": "MASTERCARD",
        "card_last4": LIVE_CARD[-4:],
    }
    headers = {"Authorization": f"Bearer {key}"}
    resp = httpx.post(f"{api_url}/v1/sessions", json=body, headers=headers, timeout=60)
    resp.raise_for_status()
    sid = str(resp.json()["session_id"])
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # wait for energy, so the details show kWh and kW
        status = httpx.get(f"{api_url}/v1/sessions/{sid}", headers=headers, timeout=10).json()
        if status.get("state") == "charging" and float(status.get("consumed_kwh") or 0) > 0.5:
            return sid
        time.sleep(1)
    raise TimeoutError(f"live session {sid} did not start charging")


async def run_ids(temporal_address: str, *workflow_ids: str) -> list[str]:
    client = await Client.connect(temporal_address)
    return [(await client.get_workflow_handle(w).describe()).run_id for w in workflow_ids]


Shot = tuple[str, str, list[str]]


def shots(ui: str, live: tuple[str, str], done: tuple[str, str]) -> list[Shot]:
    """(file, URL, text the page must show before it is shot)."""
    query = (
        f'WorkflowType = "ChargeSessionWorkflow" AND TerminalId = "{DEMO_TERMINAL}" '
        f'AND (ChargePointId = {LIVE_CHARGE_POINT} OR SessionState = "completed")'
    )
    base = f"{ui}/namespaces/default/workflows"
    live_url, done_url = f"{base}/{live[0]}/{live[1]}", f"{base}/{done[0]}/{done[1]}"
    return [
        ("sessions-list.png", f"{base}?query={urllib.parse.quote(query)}", [live[0], done[0]]),
        # Summary and details are rendered in sandboxed frames (not in the page's text).
        ("session-live.png", f"{live_url}/user-metadata", ["Current Details", "freshness"]),
        ("session-live-attributes.png", f"{live_url}/search-attributes", ["MontaChargeId"]),
        ("session-completed.png", f"{done_url}/history", ["Workflow Execution Completed"]),
    ]


async def take_shots(pages: list[Shot], out: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="chromium-", ignore_cleanup_errors=True) as profile:
        async with Browser(free_port(), profile) as browser:
            for name, url, must_show in pages:
                await browser.shoot(url, out / name, must_show)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", type=Path, default=REPO / "docs" / "img")
    p.add_argument("--time-scale", type=float, default=30.0)
    p.add_argument("--keep", action="store_true", help="leave the stack running until Ctrl-C")
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    data = Path(tempfile.mkdtemp(prefix="chargepay-shots-"))
    worker_env = {  # free ports: never collide with a `make dev` on the same machine
        "CHARGEPAY_METRICS_PORT": str(free_port()),
        "CHARGEPAY_SDK_METRICS_ADDRESS": f"127.0.0.1:{free_port()}",
    }
    config = StackConfig(data, StackPorts.free(), time_scale=args.time_scale, env=worker_env)
    print(f"starting the embedded stack (logs in {config.log_dir}) ...", flush=True)
    with Stack(config) as stack:
        assert stack.temporal_ui_url is not None
        key = provision_demo_key(config.keys_file)
        print("running a session to the end ...", flush=True)
        final: Any = run_demo(stack.api_url, stack.payments_url, key)
        print("starting a session that stays live ...", flush=True)
        live = start_live_session(stack.api_url, stack.payments_url, key)
        done = str(final["session_id"])
        live_run, done_run = asyncio.run(run_ids(stack.temporal_address, live, done))
        pages = shots(stack.temporal_ui_url, (live, live_run), (done, done_run))
        asyncio.run(take_shots(pages, args.out))
        if args.keep:
            print(f"Temporal UI: {stack.temporal_ui_url}  (Ctrl-C to stop)", flush=True)
            try:
                while True:
                    time.sleep(1)
            except KeyboardInterrupt:
                pass
    shutil.rmtree(data, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
