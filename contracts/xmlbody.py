"""XML request bodies read as the data their schema describes, so the schema can judge them
(the reverse of the mock's `represent.xml_bytes`): the mock validates XML bodies with it,
and verify judges a generated XML body as it was sent.

OpenAPI's `xml` hints say where each property is: a child element named by `xml.name` (else
the property's name), an attribute (`xml.attribute`), an array's items as repeated elements
(named by the items' `xml.name`, else the property's) either directly in the parent or in a
wrapper element (`xml.wrapped`). Text is typed by the schema (`integer`, `number`,
`boolean`: `true`/`false`); text that does not read as its type stays a string, so
validation refuses it naming the field. An element the schema does not declare is kept as
its text, for `additionalProperties` to judge. Namespaces and prefixes are not compared:
local names are. The root element's name is not checked. A document with a DTD is refused
(no entity is ever expanded).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from xml.etree import ElementTree

__all__ = ["NotXml", "typed_text", "xml_value"]

_INTEGER = re.compile(r"-?[0-9]+")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")


class NotXml(ValueError):
    """The body is not a well-formed XML document this reader accepts."""


def _hints(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    xml = schema.get("xml")
    return xml if isinstance(xml, Mapping) else {}


def _merged(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    """Type and properties of `allOf` parts too."""
    parts = [p for p in schema.get("allOf") or () if isinstance(p, Mapping)]
    if not parts:
        return schema
    props: dict[str, Any] = {}
    kind = schema.get("type")
    for part in [*parts, schema]:
        props.update(part.get("properties") or {})
        kind = kind or part.get("type")
    return {**schema, "properties": props, **({"type": kind} if kind else {})}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _kind(schema: Mapping[str, Any]) -> Any:
    kind = schema.get("type")
    if kind is None and "properties" in schema:
        return "object"
    if kind is None and "items" in schema:
        return "array"
    return kind


def typed_text(text: str, schema: Mapping[str, Any]) -> Any:
    """`text` as a value of the type `schema` gives it (`integer`, `number`, `boolean`:
    `true`/`false`), when it reads as one; else the text itself. Form fields are read so too."""
    kind = _kind(schema)
    if kind == "integer" and _INTEGER.fullmatch(text):
        return int(text)
    if kind == "number" and _NUMBER.fullmatch(text):
        return int(text) if _INTEGER.fullmatch(text) else float(text)
    if kind == "boolean" and text in ("true", "false"):
        return text == "true"
    return text


def _text(text: str | None, schema: Mapping[str, Any]) -> Any:
    scalar = _kind(schema) in ("integer", "number", "boolean")
    return typed_text((text or "").strip() if scalar else text or "", schema)


def _items(elements: list[ElementTree.Element], schema: Mapping[str, Any]) -> list[Any]:
    found = schema.get("items")
    item_schema: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    return [_element(e, item_schema) for e in elements]


def _element(element: ElementTree.Element, schema: Mapping[str, Any]) -> Any:
    schema = _merged(schema)
    kind = _kind(schema)
    if kind == "array":
        return _items(list(element), schema)
    if kind != "object":
        return _text(element.text, schema)
    if not len(element) and not element.attrib and (element.text or "").strip():
        return element.text  # text where an object belongs: no object
    props: Mapping[str, Any] = schema.get("properties") or {}
    children = list(element)
    taken: set[int] = set()
    out: dict[str, Any] = {}
    for key, found in props.items():
        sub: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
        hints = _hints(sub)
        name = str(hints.get("name") or key)
        if hints.get("attribute"):
            value = next((v for k, v in element.attrib.items() if _local(k) == name), None)
            if value is not None:
                out[key] = _text(value, sub)
            continue
        if _kind(_merged(sub)) == "array" and not hints.get("wrapped"):
            items = sub.get("items")
            item_name = (
                str(_hints(items).get("name") or name) if isinstance(items, Mapping) else name
            )
            matching = [c for c in children if _local(c.tag) == item_name]
            if matching:
                taken.update(id(c) for c in matching)
                out[key] = _items(matching, sub)
            continue
        child = next((c for c in children if _local(c.tag) == name), None)
        if child is not None:
            taken.add(id(child))
            out[key] = _element(child, sub)
    for child in children:
        if id(child) not in taken:
            out.setdefault(_local(child.tag), child.text or "")
    return out


def xml_value(raw: bytes, schema: Mapping[str, Any]) -> Any:
    """The body `raw` as the data `schema` describes.

    Raises:
        NotXml: not well-formed XML, or a document with a DTD.
    """
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        raise NotXml("a document type declaration is not accepted")
    try:
        root = ElementTree.fromstring(raw)
    except ElementTree.ParseError as exc:
        raise NotXml(f"the body is not well-formed XML: {exc}") from None
    return _element(root, schema)
