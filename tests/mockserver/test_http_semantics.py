"""HTTP as clients expect it, on a document we did not write: bodiless statuses, HEAD,
405 with Allow, the server URL's path, concrete paths before templated ones."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mockserver.config import MockConfig
from tests.mockserver.conftest import running

SPEC = Path(__file__).resolve().parent.parent / "fixtures" / "http_semantics.yaml"


@pytest.fixture(scope="module")
def one_connection() -> Iterator[httpx.Client]:
    """One client that reuses a single kept-alive connection for every request."""
    with (
        running(MockConfig(apis=(str(SPEC),))) as (base, _),
        httpx.Client(base_url=base, limits=httpx.Limits(max_connections=1), timeout=10) as client,
    ):
        yield client


def test_a_204_sends_no_body_and_the_connection_stays_usable(one_connection: httpx.Client) -> None:
    deleted = one_connection.delete("/items/7")
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert "content-length" not in deleted.headers
    # The next answer on the same connection starts where it should.
    after = one_connection.get("/items/7")
    assert (after.status_code, after.json()) == (200, {"id": 7, "name": "by-id"})


def test_head_is_answered_for_every_get_without_a_body(one_connection: httpx.Client) -> None:
    head = one_connection.head("/items/7")
    assert head.status_code == 200
    assert head.content == b""
    assert int(head.headers["content-length"]) == len(one_connection.get("/items/7").content)


def test_an_undocumented_method_is_405_with_allow(one_connection: httpx.Client) -> None:
    refused = one_connection.put("/items/7", json={})
    assert refused.status_code == 405
    assert refused.headers["allow"] == "DELETE, GET, HEAD"
    assert set(refused.json()) == {"code", "message"}  # the API's own error shape
    assert one_connection.get("/items/special").status_code == 200


def test_concrete_paths_match_before_templated_ones(one_connection: httpx.Client) -> None:
    assert one_connection.get("/items/special").json()["name"] == "special"
    assert one_connection.get("/items/8").json()["name"] == "by-id"
    # The literal second segment wins over a template in the first.
    assert one_connection.get("/acme/items/special").json()["name"] == "tenant-special"


def test_a_segment_mixing_literals_and_parameters(one_connection: httpx.Client) -> None:
    assert one_connection.get("/files/report.json").json()["name"] == "file"
    assert one_connection.get("/files/report.csv").status_code == 400  # ext's enum


def test_paths_sharing_a_templated_segment_keep_their_own_parameter_names(
    one_connection: httpx.Client,
) -> None:
    shown = one_connection.get("/shelves/12/show.json")
    assert (shown.status_code, shown.json()["name"]) == (200, "shown")
    refused = one_connection.get("/shelves/twelve/show.json")  # shelfId is an integer
    assert refused.status_code == 400
    assert "shelfId" in refused.json()["message"]
    assert one_connection.get("/shelves/oak/4.json").json()["name"] == "by-slug"
    journal = one_connection.get("/__mock/requests", params={"limit": 3}).json()["requests"]
    assert [entry["operation"] for entry in journal] == [  # oldest first
        "GET /shelves/{shelfId}/show.json",
        "GET /shelves/{shelfId}/show.json",
        "GET /shelves/{slug}/{id}.json",
    ]


def test_the_server_urls_path_is_served_too(one_connection: httpx.Client) -> None:
    at_prefix = one_connection.get("/api/v3/items/special")
    assert (at_prefix.status_code, at_prefix.json()["name"]) == (200, "special")
    assert one_connection.get("/http_semantics/api/v3/items/7").json()["name"] == "by-id"


def test_percent_encoded_values_reach_the_operation_decoded(one_connection: httpx.Client) -> None:
    assert one_connection.get("/%61cme/items/special").status_code == 200
    assert one_connection.get("/items/%37").json()["name"] == "by-id"
    journal = one_connection.get("/__mock/requests", params={"limit": 1}).json()["requests"]
    assert journal[0]["operation"] == "GET /items/{id}"


def test_a_refusal_is_an_instance_of_the_documented_error_schema(
    one_connection: httpx.Client,
) -> None:
    """`default` documents the error by its schema alone: the refusal is an instance of it."""
    refused = one_connection.post("/orders", json={"qty": "many"})
    assert refused.status_code == 400
    body = refused.json()
    assert set(body) == {"code", "message"}
    assert body["code"] == 400
    assert "qty" in body["message"]


@pytest.mark.parametrize("qty", [2**31, -(2**31) - 1], ids=["above", "below"])
def test_int32_bounds_are_enforced(one_connection: httpx.Client, qty: int) -> None:
    refused = one_connection.post("/orders", json={"qty": qty})
    assert refused.status_code == 400, refused.text
    assert "qty" in refused.json()["message"]
    assert one_connection.post("/orders", json={"qty": 2**31 - 1}).status_code == 201


def test_an_optional_body_may_be_absent(one_connection: httpx.Client) -> None:
    assert one_connection.post("/orders/search").status_code == 200
    assert one_connection.post("/orders/search", json={}).status_code == 400


def test_int32_bounds_hold_for_path_parameters(one_connection: httpx.Client) -> None:
    refused = one_connection.get(f"/items/{2**31}")
    assert refused.status_code == 400
    assert set(refused.json()) == {"code", "message"}
