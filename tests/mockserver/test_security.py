"""Every OpenAPI security scheme, through the real mock on loopback, on both lanes.

`tests/fixtures/security.yaml` has one GET per case: http basic, bearer and Digest,
apiKey in header, query and cookie, oauth2 (every flow, scopes), openIdConnect, an
alternative (`[basic, query key]`), a combination (`{header key, bearer}`), the global
requirement and per-operation overrides, `security: []` and `[{}, key]`. Without a
scenarios file any well-formed credential is let in; a missing or malformed one gets a
401 naming what to send, in the operation's documented 401 shape or problem+json. With
`security-pinned.scenarios.yaml` (`unknown_credentials: reject`) only its credentials
pass, and an oauth2 token needs the operation's scopes. Every server runs twice: as served
(the express lane on) and with `express=False`; the answers must be the same.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft4Validator

from contracts import load_contract
from mockserver.config import MockConfig
from tests.conftest import ROOT
from tests.mockserver.conftest import assert_conforms, last_entry, running

FIXTURES = ROOT / "tests" / "fixtures"
SPEC = FIXTURES / "security.yaml"
PINNED = FIXTURES / "security-pinned.scenarios.yaml"
ERROR_SCHEMA = load_contract(SPEC, with_scenarios=False).resolved["components"]["schemas"]["Error"]


def basic(user_pass: str) -> str:
    return "Basic " + base64.b64encode(user_pass.encode()).decode()


@contextmanager
def _serve(express: bool, scenarios: Path | None) -> Iterator[httpx.Client]:
    config = MockConfig(
        apis=(str(SPEC),),
        express=express,
        scenarios={"security": scenarios} if scenarios else {},
    )
    with running(config) as (base, _), httpx.Client(base_url=base, timeout=10) as client:
        yield client


@pytest.fixture(scope="module", params=[True, False], ids=["express", "no-express"])
def open_mock(request: pytest.FixtureRequest) -> Iterator[httpx.Client]:
    with _serve(request.param, None) as client:
        yield client


@pytest.fixture(scope="module", params=[True, False], ids=["express", "no-express"])
def pinned(request: pytest.FixtureRequest) -> Iterator[httpx.Client]:
    with _serve(request.param, PINNED) as client:
        yield client


def get(client: httpx.Client, path: str, **kwargs: Any) -> httpx.Response:
    return client.get(f"/security{path}", **kwargs)


# -- without a scenarios file: any well-formed credential of a required scheme --------------

WELL_FORMED: list[tuple[str, dict[str, Any]]] = [
    ("/basic", {"headers": {"Authorization": basic("anyone:any password")}}),
    ("/basic", {"headers": {"Authorization": basic("no-password:")}}),
    ("/global", {"headers": {"Authorization": "Bearer eyJhbGciOi.eyJzdWIi.c2ln"}}),
    ("/digest", {"headers": {"Authorization": 'Digest username="a", response="f00"'}}),
    ("/header-key", {"headers": {"X-API-Key": "any-key"}}),
    ("/query-key", {"params": {"api_key": "any-key"}}),
    ("/cookie-key", {"headers": {"Cookie": "theme=dark; session=any-session"}}),
    ("/oauth-read", {"headers": {"Authorization": "Bearer any_access_token"}}),
    ("/oauth-write", {"headers": {"Authorization": "Bearer any_access_token"}}),
    ("/oidc", {"headers": {"Authorization": "Bearer any.id.token"}}),
    ("/either", {"headers": {"Authorization": basic("a:b")}}),
    ("/either", {"params": {"api_key": "k"}}),
    # one alternative suffices, even beside a malformed other one
    ("/either", {"headers": {"Authorization": "Basic %%%"}, "params": {"api_key": "k"}}),
    ("/basic", {"headers": {"Authorization": "basic " + basic("lower:case")[6:]}}),
    ("/both", {"headers": {"X-API-Key": "k", "Authorization": "Bearer t"}}),
    ("/public", {}),
    ("/optional", {}),
    ("/optional", {"headers": {"X-API-Key": "k"}}),
]


@pytest.mark.parametrize(("path", "request_args"), WELL_FORMED, ids=[p for p, _ in WELL_FORMED])
def test_a_well_formed_credential_is_let_in(
    open_mock: httpx.Client, path: str, request_args: dict[str, Any]
) -> None:
    response = get(open_mock, path, **request_args)
    assert response.status_code == 200, response.text
    assert response.json() == {"ok": True}


# (path, request, WWW-Authenticate, what the message says to send, what it says is wrong)
REFUSED: list[tuple[str, dict[str, Any], str, str, str]] = [
    (
        "/basic",
        {},
        'Basic realm="security"',
        "send Authorization: Basic <base64 user:password>",
        "No authorization token provided",
    ),
    (
        "/basic",
        {"headers": {"Authorization": "Basic not*base64"}},
        'Basic realm="security"',
        "send Authorization: Basic <base64 user:password>",
        "Basic credentials are not base64",
    ),
    (
        "/basic",
        {"headers": {"Authorization": basic("no colon")}},
        'Basic realm="security"',
        "send Authorization: Basic <base64 user:password>",
        "no ':' between user and password",
    ),
    (
        "/basic",  # an override: the global bearer requirement does not apply here
        {"headers": {"Authorization": "Bearer t"}},
        'Basic realm="security"',
        "send Authorization: Basic <base64 user:password>",
        "No authorization token provided",
    ),
    (
        "/global",
        {"headers": {"Authorization": basic("a:b")}},
        'Bearer realm="security"',
        "send Authorization: Bearer <token>",
        "No authorization token provided",
    ),
    (
        "/global",
        {"headers": {"Authorization": "Bearer two words"}},
        'Bearer realm="security"',
        "send Authorization: Bearer <token>",
        "token is not a token68",
    ),
    (
        "/global",
        {"headers": {"Authorization": "Bearer"}},
        'Bearer realm="security"',
        "send Authorization: Bearer <token>",
        "names Bearer but carries no credentials",
    ),
    (
        "/digest",
        {"headers": {"Authorization": "Bearer t"}},
        'Digest realm="security"',
        "send Authorization: Digest <credentials>",
        "No authorization token provided",
    ),
    (
        "/header-key",
        {"headers": {"X-API-Key": ""}},
        'ApiKey realm="security", in="header", name="X-API-Key"',
        "send the X-API-Key header",
        "the X-API-Key header is empty",
    ),
    (
        "/query-key",
        {"headers": {"X-API-Key": "k"}},
        'ApiKey realm="security", in="query", name="api_key"',
        "send the api_key query parameter",
        "No authorization token provided",
    ),
    (
        "/cookie-key",
        {"params": {"session": "s"}},
        'ApiKey realm="security", in="cookie", name="session"',
        "send the session cookie",
        "No authorization token provided",
    ),
    (
        "/oauth-write",
        {"headers": {"X-API-Key": "k"}},
        'Bearer realm="security"',
        "send Authorization: Bearer <OAuth2 access token> with scope write:pets",
        "No authorization token provided",
    ),
    (
        "/oidc",
        {"headers": {"Authorization": "Basic a"}},
        'Bearer realm="security"',
        "send Authorization: Bearer <OpenID Connect token>",
        "No authorization token provided",
    ),
    (
        "/either",
        {"headers": {"X-API-Key": "k"}},
        'Basic realm="security", ApiKey realm="security", in="query", name="api_key"',
        "send Authorization: Basic <base64 user:password> or the api_key query parameter",
        "No authorization token provided",
    ),
    (
        "/both",
        {"headers": {"X-API-Key": "k"}},  # one of the two required together
        'ApiKey realm="security", in="header", name="X-API-Key", Bearer realm="security"',
        "send the X-API-Key header and Authorization: Bearer <token>",
        "No authorization token provided",
    ),
]


@pytest.mark.parametrize(
    ("path", "request_args", "challenge", "hint", "cause"),
    REFUSED,
    ids=[f"{p}-{i}" for i, (p, *_) in enumerate(REFUSED)],
)
def test_a_missing_or_malformed_credential_gets_a_401_naming_what_to_send(
    open_mock: httpx.Client,
    path: str,
    request_args: dict[str, Any],
    challenge: str,
    hint: str,
    cause: str,
) -> None:
    response = get(open_mock, path, **request_args)
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == challenge
    # these operations document no 401: the refusal is problem+json
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 401 and problem["code"] == "unauthorized"
    assert problem["detail"].endswith(hint), problem["detail"]
    assert cause in problem["detail"]


@pytest.mark.parametrize("path", ["/documented-401", "/schema-401"])
def test_a_documented_401_is_answered_in_its_shape(open_mock: httpx.Client, path: str) -> None:
    response = get(open_mock, path, headers={"Authorization": "Basic %%%"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Basic realm="security"'
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(Draft4Validator(ERROR_SCHEMA).iter_errors(body)) == []
    assert body["code"] == 401
    assert "Basic credentials are not base64" in body["message"]
    assert body["message"].endswith("send Authorization: Basic <base64 user:password>")


# -- with a scenarios file: pinned credentials, `unknown_credentials: reject`, scopes -------

PINNED_IN: list[tuple[str, dict[str, str], dict[str, str]]] = [
    ("/basic", {"Authorization": basic("alice:wonderland")}, {}),
    ("/global", {"Authorization": "Bearer bearer_token_1"}, {}),
    (
        "/digest",
        {"Authorization": 'Digest username="alice", realm="security", response="6629fae4"'},
        {},
    ),
    ("/header-key", {"X-API-Key": "hk_pinned"}, {}),
    ("/query-key", {}, {"api_key": "qk_pinned"}),
    ("/cookie-key", {"Cookie": "session=ck_pinned"}, {}),
    ("/oauth-read", {"Authorization": "Bearer oauth_reader"}, {}),
    ("/oauth-read", {"Authorization": "Bearer oauth_writer"}, {}),
    ("/oauth-write", {"Authorization": "Bearer oauth_writer"}, {}),
    ("/oidc", {"Authorization": "Bearer oidc_token_1"}, {}),
    ("/either", {}, {"api_key": "qk_pinned"}),
    ("/both", {"X-API-Key": "hk_pinned", "Authorization": "Bearer bearer_token_1"}, {}),
]


@pytest.mark.parametrize(
    ("path", "headers", "params"),
    PINNED_IN,
    ids=[f"{p}-{i}" for i, (p, *_) in enumerate(PINNED_IN)],
)
def test_a_pinned_credential_is_let_in(
    pinned: httpx.Client, path: str, headers: dict[str, str], params: dict[str, str]
) -> None:
    response = get(pinned, path, headers=headers, params=params)
    assert response.status_code == 200, response.text


PINNED_OUT: list[tuple[str, dict[str, str], dict[str, str]]] = [
    ("/basic", {"Authorization": basic("bob:builder")}, {}),
    ("/basic", {"Authorization": basic("alice:wrong")}, {}),
    ("/global", {"Authorization": "Bearer someone_else"}, {}),
    ("/global", {"Authorization": "Bearer oauth_writer"}, {}),  # pinned, for another scheme
    ("/header-key", {"X-API-Key": "hk_unknown"}, {}),
    ("/query-key", {}, {"api_key": "qk_unknown"}),
    ("/cookie-key", {"Cookie": "session=ck_unknown"}, {}),
    ("/oauth-read", {"Authorization": "Bearer oauth_stranger"}, {}),
    ("/oidc", {"Authorization": "Bearer oidc_stranger"}, {}),
    ("/both", {"X-API-Key": "hk_pinned", "Authorization": "Bearer someone_else"}, {}),
]


@pytest.mark.parametrize(
    ("path", "headers", "params"),
    PINNED_OUT,
    ids=[f"{p}-{i}" for i, (p, *_) in enumerate(PINNED_OUT)],
)
def test_an_unknown_credential_is_refused_under_reject(
    pinned: httpx.Client, path: str, headers: dict[str, str], params: dict[str, str]
) -> None:
    response = get(pinned, path, headers=headers, params=params)
    assert response.status_code == 401, response.text
    assert "is not one the scenarios list" in response.json()["detail"]
    assert response.headers["www-authenticate"]


def test_an_oauth2_token_without_the_operations_scope_is_forbidden(pinned: httpx.Client) -> None:
    response = get(pinned, "/oauth-write", headers={"Authorization": "Bearer oauth_reader"})
    assert response.status_code == 403
    body = response.json()  # the operation's documented 403
    assert list(Draft4Validator(ERROR_SCHEMA).iter_errors(body)) == []
    assert body["code"] == 403 and "write:pets" in body["message"]


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/basic", {"Authorization": basic("alice:wonderland")}),
        ("/header-key", {"X-API-Key": "hk_pinned"}),
        ("/oauth-write", {"Authorization": "Bearer oauth_writer"}),
        ("/oidc", {"Authorization": "Bearer oidc_token_1"}),
        (
            "/digest",
            {"Authorization": 'Digest username="alice", realm="security", response="6629fae4"'},
        ),
    ],
)
def test_a_pinned_header_credential_takes_the_express_lane(
    request: pytest.FixtureRequest, pinned: httpx.Client, path: str, headers: dict[str, str]
) -> None:
    assert get(pinned, path, headers=headers).status_code == 200
    express = request.node.callspec.params["pinned"]
    assert last_entry(pinned, "security")["lane"] == ("express" if express else "connexion")


@pytest.mark.parametrize(
    ("path", "headers", "params"),
    [
        ("/query-key", {}, {"api_key": "qk_pinned"}),  # Lane.trusted reads headers only
        ("/both", {"X-API-Key": "hk_pinned", "Authorization": "Bearer bearer_token_1"}, {}),
        ("/basic", {"Authorization": basic("bob:builder")}, {}),
    ],
)
def test_other_credentials_go_through_connexions_guard(
    pinned: httpx.Client, path: str, headers: dict[str, str], params: dict[str, str]
) -> None:
    get(pinned, path, headers=headers, params=params)
    assert last_entry(pinned, "security")["lane"] == "connexion"


def test_unknown_credentials_accept_lets_strangers_in_but_keeps_scopes(tmp_path: Path) -> None:
    accepting = tmp_path / "security.scenarios.yaml"
    accepting.write_text(
        PINNED.read_text().replace("unknown_credentials: reject", "unknown_credentials: accept")
    )
    with _serve(True, accepting) as client:
        assert get(client, "/basic", headers={"Authorization": basic("bob:b")}).status_code == 200
        assert get(client, "/basic", headers={"Authorization": basic("bob")}).status_code == 401
        reader = {"Authorization": "Bearer oauth_reader"}
        assert get(client, "/oauth-write", headers=reader).status_code == 403
        stranger = {"Authorization": "Bearer oauth_stranger"}
        assert get(client, "/oauth-write", headers=stranger).status_code == 200


# -- pharen: its vendor says its 401 means "the request did not include a valid API key" ----

PHAREN = load_contract(ROOT / "specs" / "pharen.yaml")
PHAREN_URL = "/pharen/api/flow/workflows/11111111-1111-4111-8111-111111111111/execute/"
TEAM = {"team_id": "22222222-2222-4222-8222-222222222222"}


@pytest.fixture(scope="module", params=[True, False], ids=["express", "no-express"])
def pharen(request: pytest.FixtureRequest) -> Iterator[httpx.Client]:
    config = MockConfig(apis=("pharen",), express=request.param)
    with running(config) as (base, _), httpx.Client(base_url=base, timeout=10) as client:
        yield client


def test_pharen_refuses_an_unknown_key_with_its_documented_401(pharen: httpx.Client) -> None:
    unknown = {"Authorization": "Bearer phk_unknown"}
    response = pharen.post(PHAREN_URL, params=TEAM, json={}, headers=unknown)
    assert response.status_code == 401
    body = assert_conforms(PHAREN, response)
    assert body["error"]["code"] == "unauthorized"
    assert "not one the scenarios list" in body["error"]["message"]
    assert response.headers["www-authenticate"] == 'Bearer realm="pharen"'
    known = {"Authorization": "Bearer phk_your_api_key"}
    assert pharen.post(PHAREN_URL, params=TEAM, json={}, headers=known).status_code == 200


def test_the_journal_masks_api_keys_in_the_query(pinned: httpx.Client) -> None:
    get(pinned, "/query-key", params={"page": "2", "api_key": "qk_pinned"})
    entry = last_entry(pinned, "security")
    assert entry["status"] == 200
    assert entry["query"] == "page=2&api_key=****nned"
    get(pinned, "/cookie-key", headers={"Cookie": "session=ck_pinned"})
    assert "ck_pinned" not in str(last_entry(pinned, "security"))
