"""The built wheel, installed, used from outside the checkout (`tox -e wheel`).

tox installs the wheel it built into a fresh environment and runs this script from an
empty temporary directory, so nothing can come from the checkout: the packages, the
five contracts (the data package `flowcontract_specs`) and the console scripts must all
have been installed. It serves the mocks on a free loopback port, sends each API's first
documented 2xx case, lints the installed specs, and verifies one API against the mock.
One line per check; exit 1 at the first failure.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]


def check(ok: bool, what: str) -> None:
    print(f"{'ok  ' if ok else 'FAIL'} {what}", flush=True)
    if not ok:
        sys.exit(1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    check(not (Path.cwd() / "specs").exists(), f"runs outside a checkout ({Path.cwd()})")
    import contracts
    import mockserver
    from contracts.catalog import default_specs_dir, find_specs
    from contracts.requests import case_request

    for package in (contracts, mockserver):
        where = Path(package.__file__ or "").resolve().parent
        installed = "site-packages" in where.parts and where != CHECKOUT / package.__name__
        check(installed, f"{package.__name__} imported from {where}")
    specs = default_specs_dir().resolve()
    check("site-packages" in specs.parts, f"specs found at {specs}")
    ids = [p.name.split(".")[0] for p in find_specs(specs)]
    check(ids == ["altostrat", "example", "pharen", "quiva", "wiv"], f"five contracts: {ids}")
    check((specs / "upstream" / "quiva.yaml").is_file(), "the vendors' own documents ship too")
    from importlib.metadata import entry_points

    plugins = {e.name: e.value for e in entry_points(group="pytest11")}
    check(
        plugins.get("flowcontract") == "mockserver.pytest_plugin"
        and (Path(mockserver.__file__ or "").parent / "pytest_plugin.py").is_file(),
        "the pytest plugin is registered (pytest11: flowcontract) and installed",
    )

    lint = subprocess.run(["contracts", "lint"], capture_output=True, text=True)
    check(lint.returncode == 0, f"contracts lint: {lint.stdout.strip().splitlines()[-1:]}")

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        ["mockserver", "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        health = None
        while health is None and time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"{base}/__mock/health", timeout=2) as reply:
                    health = json.load(reply)
            except OSError:
                time.sleep(0.1)
        check(health is not None, "mockserver serve answers /__mock/health")
        assert health is not None
        check([a["id"] for a in health["apis"]] == ids, "it serves the five installed APIs")
        ui = Path(mockserver.__file__ or "").parent / "ui"
        for name, media_type in (
            ("dashboard.html", "text/html"),
            ("dashboard.js", "text/javascript"),
            ("dashboard.css", "text/css"),
        ):
            path = "/__mock/ui" if name.endswith(".html") else f"/__mock/ui/{name}"
            with urllib.request.urlopen(f"{base}{path}", timeout=10) as reply:
                served, served_type = reply.read(), reply.headers["content-type"]
            shipped = (ui / name).read_bytes() if (ui / name).is_file() else None
            check(
                served == shipped and served_type.startswith(media_type),
                f"the dashboard's {name} ships in the wheel and is served at {path}",
            )

        from contracts import load_contract

        for api in ids:
            contract = load_contract(specs / f"{api}.yaml")
            assert contract.scenarios is not None
            case = next(c for c in contract.scenarios.cases if c.expect.status < 300)
            op = contract.operation()
            request = case_request(contract, op, case)
            headers = {**request.all_headers(contract), "Content-Type": "application/json"}
            data = json.dumps(request.body).encode() if request.has_body else None
            sent = urllib.request.Request(
                f"{base}/{api}{request.target(op)}",
                data=data,
                headers=headers,
                method=op.method.upper(),
            )
            with urllib.request.urlopen(sent, timeout=10) as reply:
                status = reply.status
            check(status == case.expect.status, f"{api} case {case.name}: {status}")

        verify = subprocess.run(
            ["contracts", "verify", "wiv", "--base-url", f"{base}/wiv"],
            capture_output=True,
            text=True,
        )
        summary = (verify.stdout.strip().splitlines() or ["(no output)"])[-1]
        check(verify.returncode == 0, f"contracts verify wiv against the mock: {summary}")
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
    check(server.returncode == 0, f"mockserver exits 0 on SIGTERM ({server.returncode})")
    check(
        shutil.which("mockserver") is not None,
        f"console scripts in {os.path.dirname(sys.executable)}",
    )


if __name__ == "__main__":
    main()
