"""Terse: a spec that documents its successes only, and a correct backend for it, by hand.

Like many public specs (USPTO's, Vonage's), it documents no 400 and no 401: a correct
server still refuses invalid input and a missing key, with statuses the contract cannot
name. Like Overseerr's, a body's properties carry examples, a `readOnly` one among them
and a required one without; like Discourse's, an operation requires a header parameter;
like Swagger Petstore's, a body comes as a form or as XML, where an array of one item, an
empty one and none at all look alike on the wire. `contracts verify terse.yaml` must find
nothing in `app()`, with or without `--api-key`; `app(refuse_zero=True)` refuses a valid
value and must be reported.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any
from urllib.parse import parse_qs
from xml.etree import ElementTree

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

__all__ = ["API_KEY", "SPEC", "app"]

API_KEY = "terse-key"

SPEC = """\
openapi: 3.0.3
info: {title: Terse, version: "1.0"}
components:
  securitySchemes:
    key: {type: apiKey, in: header, name: X-Key}
  schemas:
    Kennel:
      type: object
      xml: {name: kennel}
      required: [name, photoUrls]
      additionalProperties: false
      properties:
        name: {type: string, pattern: "^[a-z]{1,10}$"}
        photoUrls:
          type: array
          xml: {wrapped: true}
          items: {type: string, pattern: "^[a-z]{1,10}$", xml: {name: photoUrl}}
paths:
  /counters:
    post:
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [name, value]
              properties:
                id: {type: integer, readOnly: true, example: 7}
                name: {type: string, pattern: "^[a-z]{1,10}$", example: hits}
                value: {type: integer, minimum: 0, maximum: 100}
      responses:
        "201":
          description: Created.
          content:
            application/json:
              schema:
                type: object
                required: [id, name, value]
                properties:
                  id: {type: integer}
                  name: {type: string}
                  value: {type: integer}
  /kennels:
    post:
      requestBody:
        required: true
        content:
          application/x-www-form-urlencoded:
            schema: {$ref: "#/components/schemas/Kennel"}
          application/xml:
            schema: {$ref: "#/components/schemas/Kennel"}
      responses:
        "201":
          description: Built.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Kennel"}
  /counters/{name}:
    put:
      security: [{key: []}]
      parameters:
        - {name: name, in: path, required: true, schema: {type: string, pattern: "^[a-z]{1,10}$"}}
        # Like Discourse's Api-Username: a required header parameter, not a security scheme.
        - {name: X-Request-Id, in: header, required: true, schema: {type: string, format: uuid}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [value]
              additionalProperties: false
              properties:
                value: {type: integer, minimum: 0, maximum: 100}
      responses:
        "200":
          description: Stored.
          content:
            application/json:
              schema:
                type: object
                required: [name, value]
                properties: {name: {type: string}, value: {type: integer}}
  /search:
    post:
      requestBody:
        content:
          application/x-www-form-urlencoded:
            schema:
              type: object
              required: [q]
              properties:
                q: {type: string}
                rows: {type: integer, minimum: 1}
      responses:
        "200":
          description: Found.
          content:
            application/json:
              schema: {type: array, items: {type: string}}
"""

_NAME = re.compile(r"^[a-z]{1,10}$")


def _refuse(status: int, message: str) -> JSONResponse:
    return JSONResponse({"message": message}, status_code=status)


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def _integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _kennel(name: Any, photo_urls: list[Any]) -> dict[str, Any] | None:
    names = [name, *photo_urls]
    if not all(isinstance(n, str) and _NAME.match(n) for n in names):
        return None
    return {"name": name, "photoUrls": photo_urls}


def _kennel_from_form(raw: bytes) -> dict[str, Any] | None:
    """A form: `name` once, `photoUrls` as many times as it has items (none: not sent)."""
    try:
        fields = parse_qs(raw.decode("ascii"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        return None
    if set(fields) != {"name", "photoUrls"} or len(fields["name"]) != 1:
        return None
    return _kennel(fields["name"][0], fields["photoUrls"])


def _kennel_from_xml(raw: bytes) -> dict[str, Any] | None:
    """`<kennel><name>a</name><photoUrls><photoUrl>b</photoUrl></photoUrls></kennel>`."""
    if b"<!" in raw:
        return None
    try:
        root = ElementTree.fromstring(raw)
    except ElementTree.ParseError:
        return None
    children = {c.tag: c for c in root}
    if sorted(c.tag for c in root) != ["name", "photoUrls"] or len(children["name"]):
        return None
    wrapper = children["photoUrls"]
    urls = list(wrapper)
    if (wrapper.text or "").strip() or any(u.tag != "photoUrl" or len(u) for u in urls):
        return None
    return _kennel(children["name"].text or "", [u.text or "" for u in urls])


def app(*, refuse_zero: bool = False) -> Starlette:
    """The backend; `refuse_zero`: a defect, the valid value 0 refused with a 400."""

    async def create_counter(request: Request) -> Response:
        if _media_type(request) != "application/json":
            return _refuse(415, "send application/json")
        try:
            body = json.loads(await request.body())
        except ValueError:
            return _refuse(400, "the body is not JSON")
        if not isinstance(body, dict) or "id" in body:
            return _refuse(400, "send {name, value}; the server sets the id")
        name, value = body.get("name"), body.get("value")
        if not (isinstance(name, str) and _NAME.match(name)):
            return _refuse(400, "name: 1 to 10 lower-case letters")
        if not _integer(value) or not 0 <= value <= 100:
            return _refuse(400, "value: an integer from 0 to 100")
        return JSONResponse({"id": 1, "name": name, "value": value}, status_code=201)

    async def put_counter(request: Request) -> Response:
        if request.headers.get("x-key") != API_KEY:
            return _refuse(401, "pass X-Key")
        try:
            uuid.UUID(request.headers.get("x-request-id", ""))
        except ValueError:
            return _refuse(400, "X-Request-Id: a UUID")
        name = request.path_params["name"]
        if not _NAME.match(name):
            return _refuse(400, "name: 1 to 10 lower-case letters")
        if _media_type(request) != "application/json":
            return _refuse(415, "send application/json")
        try:
            body = json.loads(await request.body())
        except ValueError:
            return _refuse(400, "the body is not JSON")
        if not isinstance(body, dict) or set(body) != {"value"}:
            return _refuse(400, "send {value}")
        value = body["value"]
        if not _integer(value) or not 0 <= value <= 100 or (refuse_zero and value == 0):
            return _refuse(400, "value: an integer from 0 to 100")
        return JSONResponse({"name": name, "value": value})

    async def build_kennel(request: Request) -> Response:
        raw = await request.body()
        media_type = _media_type(request)
        if media_type == "application/xml":
            kennel = _kennel_from_xml(raw)
        elif media_type == "application/x-www-form-urlencoded":
            kennel = _kennel_from_form(raw)
        else:
            return _refuse(415, "send a form or XML")
        if kennel is None:
            return _refuse(400, "send a kennel: a name and its photoUrls, nothing else")
        return JSONResponse(kennel, status_code=201)

    async def search(request: Request) -> Response:
        raw = await request.body()
        if not raw:
            return JSONResponse([])  # the body is optional
        if _media_type(request) != "application/x-www-form-urlencoded":
            return _refuse(415, "send a form")
        try:
            fields = parse_qs(raw.decode("ascii"), keep_blank_values=True, strict_parsing=True)
        except (UnicodeDecodeError, ValueError):
            return _refuse(400, "the body is not a form")
        if any(len(fields.get(name, ())) > 1 for name in ("q", "rows")):
            return _refuse(400, "q and rows: each once")  # others: any value, even a list
        if "q" not in fields:
            return _refuse(400, "q is required")
        if "rows" in fields:
            try:
                rows = json.loads(fields["rows"][0])
            except ValueError:
                return _refuse(400, "rows: an integer")
            if not _integer(rows) or rows < 1:
                return _refuse(400, "rows: an integer from 1")
        return JSONResponse([fields["q"][0]])

    return Starlette(
        routes=[
            Route("/counters", create_counter, methods=["POST"]),
            Route("/counters/{name}", put_counter, methods=["PUT"]),
            Route("/kennels", build_kennel, methods=["POST"]),
            Route("/search", search, methods=["POST"]),
        ]
    )
