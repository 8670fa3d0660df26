"""Request bodies as documented, through both lanes: `readOnly`/`writeOnly`, forms,
multipart with file parts, non-JSON media, an undocumented media type (415), and a literal
`null` where the schema accepts one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mockserver.config import MockConfig
from tests.mockserver.conftest import running

SPEC = Path(__file__).resolve().parent.parent / "fixtures" / "bodies.yaml"
FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture(scope="module", params=["express", "connexion"])
def client(request: pytest.FixtureRequest) -> Iterator[httpx.Client]:
    """A client of the mock, which answers through the lane named by the parameter."""
    config = MockConfig(apis=(str(SPEC),), express=request.param == "express", seed=3)
    with running(config) as (base, _), httpx.Client(base_url=base, timeout=10) as client:
        client.headers["x-lane"] = request.param
        yield client


def answered_by(client: httpx.Client) -> str:
    """The lane that answered the client's last request, from the journal."""
    entry = client.get("/__mock/requests", params={"limit": 1}).json()["requests"][0]
    assert entry["lane"] == client.headers["x-lane"], entry
    return str(entry["lane"])


def refusal(response: httpx.Response, status: int = 400) -> str:
    """The message of a refusal in the document's `Error {code, message}` shape."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"code", "message"} and body["code"] == status
    return str(body["message"])


def test_a_required_read_only_property_is_not_required_in_a_request(client: httpx.Client) -> None:
    created = client.post("/pets", json={"name": "Rex", "secret": "s"})
    assert created.status_code == 201, created.text
    answered_by(client)


def test_a_read_only_property_in_a_request_is_refused_by_name(client: httpx.Client) -> None:
    message = refusal(client.post("/pets", json={"id": 3, "name": "Rex", "secret": "s"}))
    assert message.startswith("id: is read-only")
    message = refusal(client.post("/logins", data={"user": "ann", "age": "4", "created": "x"}))
    assert message.startswith("created: is read-only")
    answered_by(client)


def test_null_is_valid_for_a_nullable_enum_only_if_the_enum_lists_it(client: httpx.Client) -> None:
    pet = {"name": "Rex", "secret": "s"}
    message = refusal(client.post("/pets", json={**pet, "mood": None}))
    assert message == "mood: None is not one of ['calm', 'wild']"
    for extra in ({"mood": "calm"}, {"size": None}, {"size": "small"}):
        created = client.post("/pets", json={**pet, **extra})
        assert created.status_code == 201, created.text
    answered_by(client)


def test_responses_never_carry_write_only_properties(client: httpx.Client) -> None:
    example = client.post("/pets", json={"name": "Rex", "secret": "s"}).json()
    assert example == {"id": 7, "name": "Rex", "tags": [{"label": "good"}]}
    for _ in range(5):
        generated = client.get("/pets/generated").json()
        assert "secret" not in generated and isinstance(generated["id"], int)
        assert all("internal" not in tag for tag in generated.get("tags", []))


def test_a_form_body_is_validated_and_reaches_templates_typed(client: httpx.Client) -> None:
    form = {"user": "ann", "age": "42", "remember": "true", "scopes": ["a", "b"]}
    answer = client.post("/logins", data=form)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "received": {"user": "ann", "age": 42, "remember": True, "scopes": ["a", "b"], "hint": None}
    }
    answered_by(client)
    not_a_number = refusal(client.post("/logins", data={"user": "ann", "age": "old"}))
    assert not_a_number == "age: 'old' is not of type 'integer'"
    too_old = refusal(client.post("/logins", data={"user": "ann", "age": "151"}))
    assert too_old == "age: 151 is greater than the maximum of 150"
    # An exploded form array keeps a comma inside its item.
    commas = client.post("/logins", data={"user": "ann", "age": "1", "scopes": ["a,b", "c"]})
    assert commas.json()["received"]["scopes"] == ["a,b", "c"]
    assert "'age' is a required" in refusal(client.post("/logins", data={"user": "ann"}))
    # A boolean is `true` or `false` on the wire; `0` is the integer a careless client sends.
    zero = refusal(client.post("/logins", data={"user": "ann", "age": "1", "remember": "0"}))
    assert zero == "remember: '0' is not of type 'boolean'"
    twice = refusal(client.post("/logins", content=b"user=ann&age=1&age=2", headers=FORM))
    assert twice == "age: given 2 times; it takes one value"
    # a field whose schema names no type takes any value: repeated, it is an array
    hints = client.post("/logins", content=b"user=ann&age=1&hint=a&hint=b", headers=FORM)
    assert hints.json()["received"]["hint"] == ["a", "b"], hints.text
    once = client.post("/logins", data={"user": "ann", "age": "1", "hint": "a"})
    assert once.json()["received"]["hint"] == "a", once.text
    # undeclared fields are allowed (no `additionalProperties: false`), repeated or not
    extra = client.post("/logins", content=b"user=ann&age=1&x=1&x=2", headers=FORM)
    assert extra.status_code == 200, extra.text


def test_an_optional_form_body_may_be_left_out(client: httpx.Client) -> None:
    # The schema requires `criteria`, but only of a body that is sent.
    assert client.post("/searches").status_code == 200
    assert client.post("/searches", data={"criteria": "a:b", "rows": "5"}).status_code == 200
    assert "'criteria' is a required" in refusal(client.post("/searches", data={"rows": "5"}))
    chunked = client.post(
        "/searches",
        content=iter([b"rows=5"]),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert "'criteria' is a required" in refusal(chunked)


def test_a_multipart_body_with_a_file_part(client: httpx.Client) -> None:
    fields = {"title": "t", "copies": "2", "meta": '{"source": "cam"}', "origin": '{"x": 1}'}
    answer = client.post("/uploads", data=fields, files={"file": ("a.txt", b"hello")})
    assert answer.status_code == 201, answer.text
    # `meta` is JSON by its part's documented `encoding`, `origin` by OpenAPI's default for
    # an object part; `copies` typed by the schema.
    assert answer.json() == {
        "received": {"title": "t", "copies": 2, "meta": {"source": "cam"}, "origin": {"x": 1}}
    }
    answered_by(client)
    missing_file = client.post("/uploads", data={"title": "t"}, files={"x": ("a", b"1")})
    assert "'file' is a required property" in refusal(missing_file)
    no_source = client.post(
        "/uploads", data={"title": "t", "meta": "{}"}, files={"file": ("a", b"1")}
    )
    assert refusal(no_source) == "meta: 'source' is a required property"


KENNEL = (
    '<kennel id="7"><name>Rex</name><open>true</open>'
    "<photoUrls><photoUrl>a.png</photoUrl></photoUrls><tag>good</tag><tag>old</tag></kennel>"
)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (KENNEL, None),
        ('<k xmlns="urn:k"><name>Rex</name><photoUrls/></k>', None),
        (KENNEL.replace('id="7"', 'id="2147483648"'), "id: 2147483648 is not a 'int32'"),
        (KENNEL.replace(">true<", "><"), "open: '' is not of type 'boolean'"),
        ("<kennel><name>Rex</name></kennel>", "'photoUrls' is a required property"),
        ("<kennel>true</kennel>", "'true' is not of type 'object'"),
        ("<kennel><name>Rex</name", "the body is not well-formed XML"),
        ('<!DOCTYPE k [<!ENTITY e "x">]><kennel/>', "a document type declaration is not"),
    ],
)
def test_an_xml_body_is_read_by_its_schema_and_validated(
    client: httpx.Client, document: str, message: str | None
) -> None:
    sent = client.post("/kennels", content=document, headers={"content-type": "application/xml"})
    if message is None:
        assert sent.status_code == 201, sent.text
        answered_by(client)
    else:
        assert refusal(sent).startswith(message)


@pytest.mark.parametrize(
    ("media_type", "content"),
    [("text/plain", b"hi"), ("application/xml", b"<a/>"), ("application/octet-stream", b"\0\1")],
)
def test_documented_non_json_bodies_are_accepted(
    client: httpx.Client, media_type: str, content: bytes
) -> None:
    answer = client.post("/notes", content=content, headers={"content-type": media_type})
    assert answer.status_code == 202, answer.text
    answered_by(client)


def test_a_required_body_of_a_media_type_no_validator_reads_must_be_there(
    client: httpx.Client,
) -> None:
    jpeg = {"content-type": "image/jpeg"}
    assert client.put("/pictures", content=b"\xff\xd8\xff", headers=jpeg).status_code == 202
    # an empty body with its media type named is there: the empty string
    assert client.put("/pictures", headers=jpeg).status_code == 202
    assert "RequestBody is required" in refusal(client.put("/pictures"))  # no bytes, no type


def test_an_undocumented_media_type_is_refused_in_the_apis_shape(client: httpx.Client) -> None:
    sent = client.post("/notes", json={})  # the operation documents a 415
    assert "application/json" in refusal(sent, 415)
    # Where no 415 is documented, the refusal keeps to a documented status: its 400.
    form_as_json = client.post("/logins", json={"user": "ann", "age": 4})
    assert "application/json" in refusal(form_as_json, 400)


@pytest.mark.parametrize(
    ("content_type", "content", "reason"),
    [
        ("multipart/form-data", b"--x\r\n", "Missing boundary in multipart"),
        ("multipart/form-data; boundary=xyz", b"garbage", "Invalid multipart data"),
    ],
)
def test_a_malformed_multipart_body_is_a_400_not_a_failure_of_the_mock(
    client: httpx.Client, content_type: str, content: bytes, reason: str
) -> None:
    sent = client.post("/uploads", content=content, headers={"content-type": content_type})
    assert refusal(sent) == f"the multipart body is malformed: {reason}."


def test_a_multipart_body_without_a_content_type_is_a_400_not_a_failure_of_the_mock(
    client: httpx.Client,
) -> None:
    sent = client.post("/uploads", content=b"--x\r\n\r\n--x--\r\n")
    assert refusal(sent).startswith("the multipart body has no Content-Type")


SPEC_31 = """
openapi: 3.1.0
info: {title: Write-only in 3.1, version: '1'}
paths:
  /cards:
    get:
      responses:
        '200':
          description: a card
          content:
            application/json:
              schema:
                type: object
                required: [name, cvc]
                properties:
                  name: {type: string}
                  cvc: {type: string, writeOnly: true}
                  pin: {type: string, writeOnly: true}
              example: {name: Ann, cvc: '123', pin: '0000'}
"""


def test_a_required_write_only_property_stays_in_a_31_response(tmp_path: Path) -> None:
    """JSON Schema 2020-12 keeps `required` in force in responses: only an optional
    writeOnly property is left out there (3.0 relaxes `required` for it)."""
    spec = tmp_path / "cards.yaml"
    spec.write_text(SPEC_31)
    with running(MockConfig(apis=(str(spec),))) as (base, _):
        assert httpx.get(f"{base}/cards").json() == {"name": "Ann", "cvc": "123"}


@pytest.mark.parametrize("express", [True, False], ids=["express", "connexion"])
def test_a_literal_null_body_is_accepted_where_the_3_0_schema_accepts_null(express: bool) -> None:
    """OpenAPI 3.0 reads a schema without `type` as JSON Schema does (openapi-core and
    Schemathesis too): `null` is an instance, of an optional body or of a required one."""
    config = MockConfig(apis=(str(SPEC.parent / "untyped30.yaml"),), express=express)
    with running(config) as (base, _), httpx.Client(base_url=f"{base}/untyped30") as client:
        json_type = {"Content-Type": "application/json"}
        assert client.post("/enablements", content=b"null", headers=json_type).status_code == 204
        assert client.post("/enablements").status_code == 204
        bogus = client.post("/enablements", json={"query_suite": "bogus"})
        assert (bogus.status_code, "query_suite" in bogus.text) == (400, True)
        assert client.patch("/patterns", content=b"null", headers=json_type).status_code == 200
        assert client.patch("/patterns", json={"version": "1", "pattern": "x"}).status_code == 200
        assert "'version' is a required" in client.patch("/patterns", json={}).text
        assert client.patch("/patterns").status_code == 400  # required: no body is no null
        typed = client.post("/restores", content=b"null", headers=json_type)
        assert (typed.status_code, "the body is null" in typed.text) == (400, True)
