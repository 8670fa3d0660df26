"""The dashboard (`/__mock/ui`) in a real headless Chromium, driven over the DevTools
protocol: requests sent to the mock appear in the open page without a reload, newest
first; the filters, a row's details and the reset button work; with an admin token the
page takes it once from its address."""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from contracts import load_contract
from mockserver.config import MockConfig
from tests.conftest import SPECS
from tests.mockserver.conftest import ADMIN, auth_headers, running, success_request

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (.ci/run installs it)"),
]

QUIVA = load_contract(SPECS / "quiva.yaml")
WIV = load_contract(SPECS / "wiv.yaml")


class Page:
    """One Chromium tab, driven over `--remote-debugging-pipe` (the DevTools protocol's
    JSON messages, NUL-separated, on the browser's fds 3 and 4): no driver to install."""

    def __init__(self, to_browser: int, from_browser: int):
        self._to = to_browser
        self._from = from_browser
        self._buffer = b""
        self._ids = 0
        self._session: str | None = None

    def call(self, method: str, params: dict[str, Any] | None = None, timeout: float = 30) -> Any:
        self._ids += 1
        message: dict[str, Any] = {"id": self._ids, "method": method, "params": params or {}}
        if self._session is not None and not method.startswith(("Target.", "Browser.")):
            message["sessionId"] = self._session
        os.write(self._to, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._receive(deadline)
            if reply.get("id") == self._ids:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]

    def _receive(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self._from], [], [], remaining)[0]:
                raise TimeoutError("Chromium did not answer")
            chunk = os.read(self._from, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed its pipe")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        parsed: dict[str, Any] = json.loads(message)
        return parsed

    def open(self, url: str) -> None:
        target = self.call("Target.createTarget", {"url": url})["targetId"]
        attached = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})
        self._session = attached["sessionId"]
        self.wait_for("location.href !== 'about:blank' && document.readyState === 'complete'")

    def evaluate(self, expression: str) -> Any:
        result = self.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 15) -> Any:
        """The expression's value once it is truthy (polled: the page updates by itself)."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"still false after {timeout} s: {expression}")
            time.sleep(0.1)


@contextmanager
def chromium_page(url: str) -> Iterator[Page]:
    commands_read, commands_write = os.pipe()
    replies_read, replies_write = os.pipe()
    with tempfile.TemporaryDirectory() as profile:
        process = subprocess.Popen(
            [
                "bash",
                "-c",
                f'exec "$0" "$@" 3<&{commands_read} 4>&{replies_write}',
                CHROMIUM or "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--remote-debugging-pipe",
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            pass_fds=(commands_read, replies_write),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(commands_read)
        os.close(replies_write)
        page = Page(commands_write, replies_read)
        try:
            page.open(url)
            yield page
        finally:
            try:
                page.call("Browser.close", timeout=5)
            except (TimeoutError, RuntimeError, OSError):
                process.kill()
            process.wait(timeout=20)
            os.close(commands_write)
            os.close(replies_read)


ROWS = """[...document.querySelectorAll('#entries tr.entry')].filter(r => !r.hidden)
  .map(r => [Number(r.dataset.seq), r.dataset.api, Number(r.dataset.status)])"""


def choose(select_id: str, value: str) -> str:
    """What a user's choice in a filter does: the value, then the `change` event."""
    return (
        f"(() => {{ const s = document.getElementById({select_id!r}); s.value = {value!r};"
        " s.dispatchEvent(new Event('change')); return s.value; })()"
    )


def journal(base: str, **headers: str) -> list[list[Any]]:
    """The server's journal as the page's rows show it: [seq, api, status], newest first."""
    entries = httpx.get(f"{base}/__mock/requests", headers=headers).json()["requests"]
    return [[e["seq"], e["api"], e["status"]] for e in reversed(entries)]


def send(base: str, contract: Any, without: Iterable[str] = (), **changes: Any) -> httpx.Response:
    """The contract's first 2xx case, its `headers` changed, the ones named `without` left out."""
    kwargs = success_request(contract)
    headers = {**kwargs["headers"], **changes.pop("headers", {})}
    kwargs["headers"] = {k: v for k, v in headers.items() if k not in without}
    return httpx.request(**{**kwargs, **changes, "url": base + kwargs["url"]})


def test_requests_appear_live_newest_first_and_filter() -> None:
    with running(MockConfig(apis=("quiva", "wiv"))) as (base, _):
        assert httpx.post(f"{base}/__mock/reset", headers=ADMIN).status_code == 200
        with chromium_page(f"{base}/__mock/ui") as page:
            dashboard_works(base, page)


def dashboard_works(base: str, page: Page) -> None:
    page.wait_for("document.body.dataset.live === 'true'")
    page.evaluate("window.sameDocument = true")
    # the served APIs, with their Swagger UI links
    apis = page.wait_for(
        "[...document.querySelectorAll('#apis li')].map(li => "
        "[li.dataset.api, li.querySelector('a').getAttribute('href')])"
    )
    assert apis == [["quiva", "/quiva/ui/"], ["wiv", "/wiv/ui/"]]

    sent = [
        send(base, QUIVA).status_code,
        send(base, WIV).status_code,
        send(base, QUIVA, headers={"Prefer": "code=400, example=ArchivedFlow"}).status_code,
        send(base, WIV, without=auth_headers(WIV)).status_code,
    ]
    assert sent == [200, 200, 400, 401]
    rows = page.wait_for(f"(rows => rows.length === 4 && rows)({ROWS})")
    # newest first, as the journal numbered them, with no reload of the page
    assert rows == journal(base)
    assert [(api, status) for _, api, status in rows] == [
        ("wiv", 401),
        ("quiva", 400),
        ("wiv", 200),
        ("quiva", 200),
    ]
    assert page.evaluate("window.sameDocument") is True
    wiv_refused, quiva_archived, _, quiva_run = (seq for seq, _, _ in rows)

    # one more while the page is open: it lands on top
    assert send(base, QUIVA).status_code == 200
    page.wait_for(f"{ROWS}.length === 5")
    rows = page.evaluate(ROWS)
    assert rows == journal(base)
    quiva_again = rows[0][0]

    assert page.evaluate(choose("filter-status", "4")) == "4"
    assert page.evaluate(ROWS) == [[wiv_refused, "wiv", 401], [quiva_archived, "quiva", 400]]
    assert page.evaluate(choose("filter-api", "quiva")) == "quiva"
    assert page.evaluate(ROWS) == [[quiva_archived, "quiva", 400]]
    assert page.evaluate(choose("filter-status", "")) == ""
    quiva_rows = [quiva_again, quiva_archived, quiva_run]
    assert [seq for seq, _, _ in page.evaluate(ROWS)] == quiva_rows
    operation = QUIVA.operation().key
    assert page.evaluate(
        "[...document.querySelectorAll('#filter-operation option')].map(o => o.value)"
    ) == ["", operation]
    page.evaluate(choose("filter-operation", operation))
    assert [seq for seq, _, _ in page.evaluate(ROWS)] == quiva_rows
    # a new request that does not match the filters arrives, hidden
    assert send(base, WIV).status_code == 200
    page.wait_for("document.querySelectorAll('#entries tr.entry').length === 6")
    assert [seq for seq, _, _ in page.evaluate(ROWS)] == quiva_rows
    page.evaluate(choose("filter-api", ""))
    page.evaluate(choose("filter-operation", ""))
    assert page.evaluate(ROWS) == journal(base)

    # a row opens to its request, its response and the rule that chose it
    row = f"tr.entry[data-seq='{quiva_archived}']"
    detail = page.evaluate(
        f"(() => {{ document.querySelector({row!r}).click();"
        f" const d = document.querySelector({row + ' + tr.detail'!r});"
        " return d && d.innerText; })()"
    )
    assert "prefer" in detail
    assert "ArchivedFlow" in detail
    assert "cannot run an archived flow" in detail  # the response body
    assert '"user_id": "user_123"' in detail  # the request body
    assert "authorization: ****" in detail  # the credential as the journal masks it
    assert page.evaluate("location.hash") == f"#seq-{quiva_archived}"  # a link to it

    # reset: the journal empties on the server and in the page
    page.evaluate("document.getElementById('reset').click()")
    page.wait_for("document.querySelectorAll('#entries tr').length === 0")
    assert httpx.get(f"{base}/__mock/requests").json()["count"] == 0
    assert send(base, WIV).status_code == 200
    assert page.wait_for(f"(rows => rows.length === 1 && rows)({ROWS})")[0][1] == "wiv"
    assert page.evaluate("window.sameDocument") is True


def test_with_an_admin_token_the_page_takes_it_once_from_its_address() -> None:
    token = "dashboard-admin-token"
    # Bound (as configured) to every interface; the test reaches it on loopback.
    config = MockConfig(apis=("wiv",), host="0.0.0.0", admin_token=token)
    with running(config) as (base, _):
        bearer = {"Authorization": f"Bearer {token}"}
        assert httpx.post(f"{base}/__mock/reset", headers={**ADMIN, **bearer}).status_code == 200
        with chromium_page(f"{base}/__mock/ui") as page:
            page.wait_for("document.getElementById('live').dataset.state === 'token'")
            assert page.evaluate("document.getElementById('token').hidden") is False
        with chromium_page(f"{base}/__mock/ui?token={token}") as page:
            page.wait_for("document.body.dataset.live === 'true'")
            assert page.evaluate("location.search") == ""  # not left in the address
            assert page.evaluate(f"sessionStorage.getItem({'flowcontract-admin-token'!r})") == (
                token
            )
            assert send(base, WIV).status_code == 200
            rows = page.wait_for(f"(rows => rows.length === 1 && rows)({ROWS})")
            assert rows == journal(base, Authorization=f"Bearer {token}")
            assert rows[0][1:] == ["wiv", 200]
            page.evaluate("document.getElementById('reset').click()")
            page.wait_for("document.querySelectorAll('#entries tr').length === 0")
            assert journal(base, **bearer) == []


def test_an_entry_with_violations_lists_them() -> None:
    # The validation proxy journals each exchange with its `violations` (where, kind,
    # message); the page lists them under the row. The entry is given to the page's own
    # `add`, as the stream would; its other fields are a real journal entry's.
    with running(MockConfig(apis=("wiv",))) as (base, _):
        assert httpx.post(f"{base}/__mock/reset", headers=ADMIN).status_code == 200
        assert send(base, WIV).status_code == 200
        (entry,) = httpx.get(f"{base}/__mock/requests").json()["requests"]
        violations = [
            {"where": "response", "kind": "body-schema", "message": "'id' is a required property"},
            {"where": "response", "kind": "header-missing", "message": "Location is required"},
        ]
        proxied = {**entry, "seq": entry["seq"] + 1000, "violations": violations}
        with chromium_page(f"{base}/__mock/ui") as page:
            page.wait_for(f"(rows => rows.length === 1)({ROWS})")
            page.evaluate(f"add([{json.dumps(proxied)}])")
            row = f"tr.entry[data-seq='{proxied['seq']}']"
            assert "2 violations" in page.evaluate(f"document.querySelector({row!r}).innerText")
            listed = page.evaluate(
                f"document.querySelector({row!r}).click(),"
                f" [...document.querySelectorAll({row + ' + tr.detail .violations li'!r})]"
                ".map(li => li.innerText)"
            )
            assert listed == [
                "response body-schema: 'id' is a required property",
                "response header-missing: Location is required",
            ]
