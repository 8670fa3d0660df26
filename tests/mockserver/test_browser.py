"""A real browser on another origin calls the mock, as a frontend dev server does."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from mockserver.config import MockConfig
from tests.mockserver.conftest import running

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (.ci/run installs it)"),
]

PAGE = """<!doctype html><html><body><pre id="out">pending</pre><script>
fetch("%(mock)s/quiva/hub/workflows/c1/21312322/run", {
  method: "POST",
  headers: {"Authorization": "Bearer qv_test_token", "Prefer": "code=400, example=ArchivedFlow",
            "Content-Type": "application/json"},
  body: JSON.stringify({trigger: {user_id: "user_123"}})
}).then(async r => {
  document.getElementById("out").textContent = JSON.stringify(
    {status: r.status, type: r.headers.get("content-type"), body: await r.json()});
}).catch(e => { document.getElementById("out").textContent = "FAILED " + e; });
</script></body></html>"""


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def page_origin(html: str) -> Iterator[str]:
    with tempfile.TemporaryDirectory() as root:
        (Path(root) / "index.html").write_text(html)
        server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=root))
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/index.html"
        finally:
            server.shutdown()
            server.server_close()


def page_result(url: str) -> str:
    with tempfile.TemporaryDirectory() as profile:
        dom = subprocess.run(
            [
                CHROMIUM or "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                "--virtual-time-budget=15000",
                "--dump-dom",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=90,
        ).stdout
    match = re.search(r'<pre id="out">(.*?)</pre>', dom, re.S)
    assert match, dom[:500]
    return match.group(1).replace("&quot;", '"').replace("&amp;", "&")


def test_a_page_on_another_origin_gets_the_documented_case() -> None:
    with (
        running(MockConfig(apis=("quiva",))) as (mock, _),
        page_origin(PAGE % {"mock": mock}) as url,
    ):
        result = json.loads(page_result(url))
    assert result == {
        "status": 400,
        "type": "application/json",
        "body": {"error": "cannot run an archived flow"},
    }


def test_without_cors_the_browser_refuses() -> None:
    with (
        running(MockConfig(apis=("quiva",), cors=False)) as (mock, _),
        page_origin(PAGE % {"mock": mock}) as url,
    ):
        assert page_result(url).startswith("FAILED TypeError")
