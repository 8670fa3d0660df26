"""Cards: an OpenAPI 3.1 spec whose response schema requires a `writeOnly` property (Train
Travel's card `cvc`), and a backend for it, by hand.

JSON Schema 2020-12 keeps `required`, so the server sends `cvc` back; OpenAPI 3.0's rule
(Schemathesis's) would forbid it. `contracts verify cards.yaml` must find nothing in
`app()`; `app(wrong_year=True)` answers a string year, which stays a finding.
"""

from __future__ import annotations

import json

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

__all__ = ["SPEC", "app"]

SPEC = """\
openapi: 3.1.0
info: {title: Cards, version: "1.0"}
paths:
  /cards:
    post:
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Card"}
      responses:
        "201":
          description: Stored.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Card"}
        "400":
          description: Not a card.
          content:
            application/json:
              schema: {type: object, required: [message], properties: {message: {type: string}}}
components:
  schemas:
    Card:
      type: object
      required: [number, cvc, year]
      additionalProperties: false
      properties:
        number: {type: string, pattern: "^[0-9]{16}$"}
        cvc: {type: string, pattern: "^[0-9]{3}$", writeOnly: true}
        year: {type: integer, minimum: 2000, maximum: 2100}
"""


def app(*, wrong_year: bool = False) -> Starlette:
    """The backend; `wrong_year`: a defect, the year answered as a string."""

    async def store(request: Request) -> Response:
        try:
            card = json.loads(await request.body())
        except ValueError:
            return JSONResponse({"message": "not JSON"}, status_code=400)
        valid = (
            isinstance(card, dict)
            and set(card) == {"number", "cvc", "year"}
            and isinstance(card["number"], str)
            and len(card["number"]) == 16
            and card["number"].isascii()
            and card["number"].isdigit()
            and isinstance(card["cvc"], str)
            and len(card["cvc"]) == 3
            and card["cvc"].isascii()
            and card["cvc"].isdigit()
            and type(card["year"]) is int
            and 2000 <= card["year"] <= 2100
        )
        if not valid:
            return JSONResponse({"message": "send number, cvc and year"}, status_code=400)
        if wrong_year:
            card = {**card, "year": str(card["year"])}
        return JSONResponse(card, status_code=201)

    return Starlette(routes=[Route("/cards", store, methods=["POST"])])
