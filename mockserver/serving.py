"""Run an ASGI app on a free loopback port in a background thread, for the length of a block
(the pytest plugin's mock, and the tests' implementations and mocks)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import uvicorn
from starlette.types import ASGIApp

__all__ = ["serve"]


@contextlib.contextmanager
def serve(app: ASGIApp, *, timeout: float = 10.0, **settings: Any) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 and yield its base URL (`http://127.0.0.1:PORT`).

    `settings` override the uvicorn.Config defaults below (the mock's tests run it with its
    lifespan and uvicorn's default HTTP implementation, as `mockserver serve` does)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    options: dict[str, Any] = {
        "lifespan": "off",
        "ws": "none",
        "http": "h11",
        "loop": "asyncio",
        "log_level": "warning",
        "access_log": False,
        **settings,
    }
    config = uvicorn.Config(app, host="127.0.0.1", port=port, **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"serve-{port}", daemon=True
    )
    thread.start()
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_answering(base_url, server, thread, timeout)
        yield base_url
    finally:
        server.should_exit = True
        thread.join(timeout)
        sock.close()


def _wait_until_answering(
    base_url: str, server: uvicorn.Server, thread: threading.Thread, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError(f"server on {base_url} exited while starting")
        if server.started:
            try:
                with httpx.Client(trust_env=False, timeout=1.0) as client:
                    client.get(base_url + "/")  # any HTTP answer will do
                return
            except httpx.TransportError:
                pass
        time.sleep(0.02)
    raise TimeoutError(f"server on {base_url} did not answer within {timeout}s")
