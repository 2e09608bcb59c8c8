"""`make screenshots` (its receipt part): the receipt as a driver sees it, for the docs.

Starts the embedded stack on free ports, runs one demo session to the end, reads its
receipt's signed links as a terminal would, and saves into docs/img/:

  receipt-page.png   the printable page, shot with Debian's headless Chromium
  receipt-pdf.png    the PDF's first page, rendered with poppler's pdftoppm

Needs `apt-get install chromium poppler-utils` (nothing is downloaded at run time).

python scripts/receipt_screenshots.py [--out docs/img] [--time-scale 30]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from devstack.demo import provision_demo_key, run_demo  # noqa: E402
from devstack.procs import free_port  # noqa: E402
from devstack.stack import Stack, StackConfig, StackPorts  # noqa: E402
from scripts.screenshots import Browser  # noqa: E402

PDF_DPI = "80"


def receipt_links(api_url: str, key: str, session_id: str) -> Any:
    url = f"{api_url}/v1/sessions/{session_id}/receipt"
    resp = httpx.get(url, headers={"Authorization": f"Bearer {key}"}, timeout=30)
    resp.raise_for_status()
    return resp.json()


async def shoot_page(url: str, out: Path, must_show: list[str]) -> None:
    with tempfile.TemporaryDirectory(prefix="chromium-", ignore_cleanup_errors=True) as profile:
        async with Browser(free_port(), profile) as browser:
            await browser.shoot(url, out, must_show)


def render_pdf_page(pdf_url: str, out: Path) -> None:
    if shutil.which("pdftoppm") is None:
        raise SystemExit("pdftoppm not found: apt-get install -y poppler-utils")
    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / "receipt.pdf"
        resp = httpx.get(pdf_url, timeout=60)
        resp.raise_for_status()
        pdf.write_bytes(resp.content)
        target = out.with_suffix("")
        cmd = ["pdftoppm", "-png", "-r", PDF_DPI, "-f", "1", "-l", "1", "-singlefile"]
        subprocess.run([*cmd, str(pdf), str(target)], check=True, timeout=60)
    print(f"  {out.name}  <- {pdf_url}", flush=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", type=Path, default=REPO / "docs" / "img")
    p.add_argument("--time-scale", type=float, default=30.0)
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    data = Path(tempfile.mkdtemp(prefix="chargepay-receipt-shots-"))
    env = {
        "CHARGEPAY_METRICS_PORT": str(free_port()),
        "CHARGEPAY_SDK_METRICS_ADDRESS": f"127.0.0.1:{free_port()}",
    }
    config = StackConfig(
        data, StackPorts.free(), time_scale=args.time_scale, env=env, headless_ui=True
    )
    print(f"starting the embedded stack (logs in {config.log_dir}) ...", flush=True)
    with Stack(config) as stack:
        key = provision_demo_key(config.keys_file)
        final = run_demo(stack.api_url, stack.payments_url, key)
        answer = receipt_links(stack.api_url, key, str(final["session_id"]))
        links, number = answer["links"], answer["receipt"]["number_text"]
        asyncio.run(shoot_page(links["html"], args.out / "receipt-page.png", [number]))
        render_pdf_page(links["pdf"], args.out / "receipt-pdf.png")
    shutil.rmtree(data, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
