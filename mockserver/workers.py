"""`mockserver serve --workers N`: N server processes on one port, forked from one app.

The parent loads the contracts and builds the app once, binds the port, and forks N
children that each serve the same listening socket (the kernel spreads the connections
among them), each with its own event loop and its own connection to the shared state
(`RedisState` connects lazily, so only in the children). Forking after the build starts
every worker at once and shares the loaded contracts' memory until a worker writes to it.
The parent only supervises: a worker that dies is forked again; SIGTERM or Ctrl-C stops
every worker gracefully, then the parent exits.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from typing import Any

import uvicorn

__all__ = ["serve_workers"]

log = logging.getLogger("mockserver")
_QUICK_DEATH = 2.0  # seconds: a worker dying sooner after its start is not forked again


def _listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _worker(app: Any, settings: dict[str, Any], sock: socket.socket) -> None:
    """The child: serve until told to stop, then leave without running the parent's
    exit handlers."""
    code = 0
    try:
        uvicorn.Server(uvicorn.Config(app, **settings)).run(sockets=[sock])
    except (SystemExit, KeyboardInterrupt):  # uvicorn re-raises the signal that stopped it
        pass
    except BaseException:
        log.exception("worker %d failed", os.getpid())
        code = 1
    finally:
        os._exit(code)


def serve_workers(
    app: Any, settings: dict[str, Any], workers: int, on_listening: Callable[[], None]
) -> int:
    """Serve `app` with uvicorn `settings` in `workers` processes; the exit status."""
    sock = _listening_socket(settings["host"], settings["port"])
    started: dict[int, float] = {}  # pid -> when it was forked
    stopping = False

    def fork() -> None:
        pid = os.fork()
        if pid == 0:
            _worker(app, settings, sock)
        started[pid] = time.monotonic()

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for pid in started:
            with contextlib.suppress(ProcessLookupError):  # ended meanwhile
                os.kill(pid, signal.SIGTERM)

    for _ in range(workers):
        fork()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    on_listening()
    status = 0
    while started:
        pid, _ = os.wait()
        born = started.pop(pid, None)
        if born is None or stopping:
            continue
        if time.monotonic() - born < _QUICK_DEATH:
            log.error("worker %d ended right after it started: stopping the others", pid)
            status = 1
            stop(signal.SIGTERM, None)
            continue
        log.warning("worker %d ended: starting another", pid)
        fork()
    sock.close()
    return status
