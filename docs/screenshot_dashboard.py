"""Regenerate docs/img/dashboard.png: the dashboard (`/__mock/ui`) after a few requests.

Usage, from the checkout: python docs/screenshot_dashboard.py [CHROMIUM]

It starts `mockserver serve` on a free loopback port, sends each API's first documented
2xx case, an archived quiva flow (`Prefer`), a wiv run without its credential and a path
no API documents, then has headless Chromium (Debian's `chromium` by default) take the
page's picture with the archived flow's row open.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from contracts import find_specs, load_contract
from contracts.requests import case_request

ROOT = Path(__file__).resolve().parents[1]
PICTURE = ROOT / "docs" / "img" / "dashboard.png"
SERVE = "from mockserver.cli import main; raise SystemExit(main())"
CHROMIUM = sys.argv[1] if len(sys.argv) > 1 else "chromium"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def send(url: str, method: str, headers: dict[str, str], body: object = None) -> int:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return int(reply.status)
    except urllib.error.HTTPError as refused:
        return refused.code


def send_cases(base: str) -> int:
    """Each API's first 2xx case, then three refusals; the archived flow's seq."""
    archived = 0
    for spec in find_specs(ROOT / "specs"):
        contract = load_contract(spec)
        assert contract.scenarios is not None
        op = contract.operation()
        case = next(c for c in contract.scenarios.cases if c.expect.status < 300)
        request = case_request(contract, op, case)
        headers = {**request.all_headers(contract), "Content-Type": "application/json"}
        url = f"{base}/{contract.api_id}{request.target(op)}"
        body = request.body if request.has_body else None
        send(url, op.method.upper(), headers, body)
        if contract.api_id == "quiva":
            prefer = {**headers, "Prefer": "code=400, example=ArchivedFlow"}
            send(url, op.method.upper(), prefer, body)
            archived = journal_size(base)
        if contract.api_id == "wiv":
            bare = {"Content-Type": "application/json"}
            send(url, op.method.upper(), bare, body)
    send(f"{base}/wiv/workflows", "GET", {})
    return archived


def journal_size(base: str) -> int:
    with urllib.request.urlopen(f"{base}/__mock/requests?limit=1", timeout=10) as reply:
        return int(json.load(reply)["requests"][-1]["seq"])


def main() -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-c", SERVE, "serve", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/__mock/health", timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("mockserver serve did not start") from None
                time.sleep(0.2)
        archived = send_cases(base)
        PICTURE.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as profile:
            subprocess.run(
                [
                    CHROMIUM,
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--no-first-run",
                    "--hide-scrollbars",
                    f"--user-data-dir={profile}",
                    "--window-size=1400,1000",
                    "--virtual-time-budget=3000",
                    f"--screenshot={PICTURE}",
                    f"{base}/__mock/ui#seq-{archived}",
                ],
                check=True,
                capture_output=True,
                timeout=120,
            )
    finally:
        server.terminate()
        server.wait(timeout=20)
    print(PICTURE)


if __name__ == "__main__":
    main()
