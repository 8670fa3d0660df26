"""`mockserver serve --workers N`: N server processes on one port, forked from one app.

The parent loads the contracts and builds the app once, binds the port, and forks N
children, each with a listening socket of its own on that port (`SO_REUSEPORT`: the kernel
spreads new connections evenly over the sockets; one socket shared by every worker lets
whichever worker wakes first accept a whole burst, so a client opening 16 connections at
once may get one worker for all of them), each with its own event loop and its own
connection to the shared state (`RedisState` connects lazily, so only in the children). Forking after the build starts
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
import sys
import time
from collections.abc import Callable
from typing import Any

import uvicorn

__all__ = ["serve_workers"]

log = logging.getLogger("mockserver")
_QUICK_DEATH = 2.0  # seconds: a worker dying sooner after its start is not forked again


def _listening_socket(host: str, port: int, reuse_port: bool) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _listening_sockets(host: str, port: int, workers: int) -> list[socket.socket]:
    """One socket per worker where the kernel balances them (Linux), else one shared."""
    if not (sys.platform == "linux" and hasattr(socket, "SO_REUSEPORT")):
        return [_listening_socket(host, port, reuse_port=False)]
    first = _listening_socket(host, port, reuse_port=True)
    port = first.getsockname()[1]  # the same port for all, --port 0 included
    return [first, *(_listening_socket(host, port, reuse_port=True) for _ in range(workers - 1))]


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
    sockets = _listening_sockets(settings["host"], settings["port"], workers)
    started: dict[int, tuple[float, int]] = {}  # pid -> when it was forked, its socket
    stopping = False

    def fork(slot: int) -> None:
        pid = os.fork()
        if pid == 0:
            _worker(app, settings, sockets[slot % len(sockets)])
        started[pid] = (time.monotonic(), slot)

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for pid in started:
            with contextlib.suppress(ProcessLookupError):  # ended meanwhile
                os.kill(pid, signal.SIGTERM)

    for slot in range(workers):
        fork(slot)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    on_listening()
    status = 0
    while started:
        pid, _ = os.wait()
        ended = started.pop(pid, None)
        if ended is None or stopping:
            continue
        born, slot = ended
        if time.monotonic() - born < _QUICK_DEATH:
            log.error("worker %d ended right after it started: stopping the others", pid)
            status = 1
            stop(signal.SIGTERM, None)
            continue
        log.warning("worker %d ended: starting another", pid)
        fork(slot)  # on the same socket: the connections waiting on it are served
    for sock in sockets:
        sock.close()
    return status
