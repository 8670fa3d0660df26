"""Bookshelf: a small public-style API and a correct backend for it, written by hand.

A user's own spec, with no scenarios file: HTTP Basic on some operations, an API key in
the query on others (and either on one), integer path ids without examples. `contracts
verify bookshelf.yaml --basic reader:s3cret --api-key KEY` must find nothing in `app()`.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

__all__ = ["API_KEY", "BASIC", "SPEC", "app"]

BASIC = "reader:s3cret"
API_KEY = "bk_live_0123456789"

SPEC = """\
openapi: 3.0.3
info: {title: Bookshelf, version: "1.0"}
components:
  securitySchemes:
    basicAuth: {type: http, scheme: basic}
    apiKeyQuery: {type: apiKey, in: query, name: api_key}
  schemas:
    Book:
      type: object
      required: [id, title]
      properties:
        id: {type: integer, format: int64, minimum: 1}
        title: {type: string, minLength: 1, maxLength: 200}
        isbn: {type: string, pattern: "^97[89][0-9]{10}$"}
    NewBook:
      type: object
      required: [title]
      additionalProperties: false
      properties:
        title: {type: string, minLength: 1, maxLength: 200}
        isbn: {type: string, pattern: "^97[89][0-9]{10}$"}
    Error:
      type: object
      required: [message]
      properties: {message: {type: string}}
  responses:
    BadRequest:
      description: The request is malformed.
      content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
    Unauthorized:
      description: Missing or wrong credentials.
      content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
paths:
  /status:
    get:
      responses:
        "200":
          description: The service is up.
          content:
            application/json:
              schema:
                type: object
                required: [status]
                properties: {status: {type: string, enum: [ok]}}
  /books:
    get:
      security: [{basicAuth: []}, {apiKeyQuery: []}]
      parameters:
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 50}}
      responses:
        "200":
          description: The books.
          content:
            application/json:
              schema: {type: array, items: {$ref: "#/components/schemas/Book"}}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorized"}
    post:
      security: [{basicAuth: []}]
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/NewBook"}
      responses:
        "201":
          description: The book, shelved.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Book"}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorized"}
  /books/{bookId}:
    get:
      security: [{apiKeyQuery: []}]
      parameters:
        - {name: bookId, in: path, required: true, schema: {type: integer, format: int64, minimum: 1}}
      responses:
        "200":
          description: The book.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Book"}
        "400": {$ref: "#/components/responses/BadRequest"}
        "401": {$ref: "#/components/responses/Unauthorized"}
        "404":
          description: No book with this id.
          content: {application/json: {schema: {$ref: "#/components/schemas/Error"}}}
"""

_ISBN = re.compile(r"^97[89][0-9]{10}$")
_ID = re.compile(r"^[0-9]+$")


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"message": message}, status_code=status)


class Bookshelf:
    def __init__(self) -> None:
        self.books: dict[int, dict[str, Any]] = {
            1: {"id": 1, "title": "The Left Hand of Darkness", "isbn": "9780441478125"}
        }

    def basic_ok(self, request: Request) -> bool:
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            return base64.b64decode(encoded.strip(), validate=True).decode() == BASIC
        except ValueError:  # binascii.Error and UnicodeDecodeError are ValueErrors
            return False

    def key_ok(self, request: Request) -> bool:
        return request.query_params.getlist("api_key") == [API_KEY]

    async def status(self, request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def list_books(self, request: Request) -> Response:
        if not (self.basic_ok(request) or self.key_ok(request)):
            return _error(401, "pass HTTP Basic credentials or ?api_key=")
        limit = 50
        values = request.query_params.getlist("limit")
        if values:
            if len(values) > 1 or not _ID.match(values[0]) or not 1 <= int(values[0]) <= 50:
                return _error(400, "limit must be an integer from 1 to 50")
            limit = int(values[0])
        return JSONResponse(list(self.books.values())[:limit])

    async def add_book(self, request: Request) -> Response:
        if not self.basic_ok(request):
            return _error(401, "pass HTTP Basic credentials")
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != "application/json":
            return _error(400, "the body must be application/json")
        try:
            body = json.loads(await request.body())
        except ValueError:  # UnicodeDecodeError is one
            return _error(400, "the body is not JSON")
        if not isinstance(body, dict):
            return _error(400, "the body must be a JSON object")
        if set(body) - {"title", "isbn"}:
            return _error(400, "only title and isbn may be given")
        title, isbn = body.get("title"), body.get("isbn", None)
        if not isinstance(title, str) or not 1 <= len(title) <= 200:
            return _error(400, "title must be a string of 1 to 200 characters")
        if "isbn" in body and not (isinstance(isbn, str) and _ISBN.match(isbn)):
            return _error(400, "isbn must be a 13-digit ISBN")
        book: dict[str, Any] = {"id": max(self.books) + 1, "title": title}
        if isbn is not None:
            book["isbn"] = isbn
        self.books[book["id"]] = book
        return JSONResponse(book, status_code=201)

    async def get_book(self, request: Request) -> Response:
        if not self.key_ok(request):
            return _error(401, "pass ?api_key=")
        raw = request.path_params["book_id"]
        if not _ID.match(raw) or int(raw) < 1:
            return _error(400, "bookId must be a positive integer")
        book = self.books.get(int(raw))
        if book is None:
            return _error(404, f"no book {raw}")
        return JSONResponse(book)


def app() -> Starlette:
    shelf = Bookshelf()
    return Starlette(
        routes=[
            Route("/status", shelf.status, methods=["GET"]),
            Route("/books", shelf.list_books, methods=["GET"]),
            Route("/books", shelf.add_book, methods=["POST"]),
            Route("/books/{book_id}", shelf.get_book, methods=["GET"]),
        ]
    )
