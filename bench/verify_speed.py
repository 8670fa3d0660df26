"""How long `contracts verify` takes with default settings, as a user runs it.

Starts `mockserver serve` (every API at `/<id>`) in its own process, then times the
`contracts verify` command line for each API, one after another and all five at once,
with `--workers 1` and `--workers N`. Prints the figures; asserts nothing.

    python bench/verify_speed.py [--workers N] [--max-examples N]
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
APIS = ("quiva", "wiv", "altostrat", "pharen", "example")


def script(name: str) -> list[str]:
    path = Path(sys.executable).with_name(name)
    if path.exists():
        return [str(path)]
    return [sys.executable, "-c", f"import sys; from {name}.cli import main; sys.exit(main())"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_mock() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [*script("mockserver"), "serve", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{url}/__mock/health", timeout=1).raise_for_status()
            return process, url
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                process.terminate()
                raise SystemExit("mockserver serve did not start") from None
            time.sleep(0.1)


def run(api: str, url: str, extra: list[str]) -> tuple[str, float, int]:
    started = time.monotonic()
    done = subprocess.run(
        [*script("contracts"), "verify", api, "--base-url", f"{url}/{api}", *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    return api, time.monotonic() - started, done.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--max-examples", type=int, default=None)
    args = parser.parse_args()
    extra = ["--max-examples", str(args.max_examples)] if args.max_examples else []
    process, url = start_mock()
    try:
        for workers in (1, args.workers):
            flags = [*extra, "--workers", str(workers)]
            print(f"--workers {workers}: one API at a time (wall seconds, exit status)")
            total = 0.0
            for api in APIS:
                name, seconds, status = run(api, url, flags)
                total += seconds
                print(f"  {name:<10} {seconds:6.1f}s  exit {status}")
            print(f"  {'sum':<10} {total:6.1f}s")
            started = time.monotonic()
            with ThreadPoolExecutor(max_workers=len(APIS)) as pool:
                results = list(pool.map(run, APIS, [url] * len(APIS), [flags] * len(APIS)))
            statuses = ", ".join(f"{api} {status}" for api, _, status in results)
            print(f"  all five at once: {time.monotonic() - started:6.1f}s  ({statuses})")
    finally:
        process.terminate()
        process.wait(timeout=10)


if __name__ == "__main__":
    main()
