"""Represent: a response value as the bytes of its media type.

JSON media types (`application/json`, `*+json`) are `render.json_bytes`. The others:

- a string example of a non-JSON media type is the body itself (XML text, CSV, a
  sentence): sent as written, UTF-8;
- XML (`application/xml`, `text/xml`, `*+xml`): a document built from the value and the
  schema's `xml` hints (`name`, `attribute`, `wrapped`, `namespace`, `prefix`); the root
  element is named by the schema's `xml.name`, else its component name;
- `text/csv`: a header line and one line per object of an array;
- other `text/*`: the string, or the value as JSON text; generated, a sentence, except for a
  type a sentence is not an instance of (`text/calendar`: the smallest iCalendar document),
  where the schema accepts that document;
- anything else (images, `application/octet-stream`, PDFs, ...): a few bytes (a 1x1 PNG
  for `image/png`), or the string example's bytes.

A documented media *range* (`*/*`, `image/*`) is sent as a concrete type (`concrete`).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping
from typing import Any
from xml.etree import ElementTree

from contracts.catalog import Contract, Operation

from .generate import Generator
from .negotiate import Choice
from .render import json_bytes

__all__ = [
    "component_name",
    "concrete",
    "encode",
    "is_json",
    "is_xml",
    "non_json_body",
    "xml_bytes",
]

# The smallest valid PNG: one transparent pixel.
_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4f40000000049454e44ae426082"
)
_CONCRETE = {
    "*/*": "application/json",
    "application/*": "application/octet-stream",
    "text/*": "text/plain",
    "image/*": "image/png",
}
_XML_NAME = re.compile(r"[^A-Za-z0-9_.-]")
# Generated bodies of text types a sentence is not an instance of: the smallest valid
# document (RFC 5545: VERSION, PRODID and one component; CRLF line ends).
_SMALLEST_TEXT = {
    "text/calendar": "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//flowcontract//mock//EN",
            "BEGIN:VEVENT",
            "UID:mock-event@flowcontract.invalid",
            "DTSTAMP:20240101T000000Z",
            "DTSTART:20240101T090000Z",
            "SUMMARY:Mock event",
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
    ),
}


def _base(media_type: str) -> str:
    return media_type.split(";")[0].strip().lower()


def is_json(media_type: str) -> bool:
    base = _base(media_type)
    return base in ("application/json", "*/*") or base.endswith("+json")


def is_xml(media_type: str) -> bool:
    base = _base(media_type)
    return base in ("application/xml", "text/xml") or base.endswith("+xml")


def concrete(media_type: str) -> str:
    """The Content-Type to send for a documented media type (or range)."""
    base = _base(media_type)
    if base in _CONCRETE:
        return _CONCRETE[base]
    if base.endswith("/*"):
        return "application/octet-stream"
    return media_type


def encode(
    value: Any,
    media_type: str,
    schema: Mapping[str, Any] | None,
    *,
    name: str | None = None,
) -> bytes:
    """`value` (an example or generated data for `schema`) as a `media_type` body; `name`
    is the schema's component name, for an XML root element."""
    base = _base(media_type)
    if is_json(base):
        return json_bytes(value)
    if isinstance(value, bytes):
        return value
    if is_xml(base):
        if isinstance(value, str):
            return value.encode("utf-8", "replace")
        return xml_bytes(value, schema or {}, name)
    if base == "text/csv" and not isinstance(value, str):
        return _csv(value)
    if base.startswith("text/"):
        if isinstance(value, str):
            return value.encode("utf-8", "replace")
        return json_bytes(value)
    if isinstance(value, str) and value:
        return value.encode("utf-8", "replace")
    return _PNG if concrete(base) == "image/png" else b"\x00\x01\x02\x03mock\xff"


def _csv(value: Any) -> bytes:
    rows = value if isinstance(value, list) else [value]
    out = io.StringIO()
    columns = list(dict.fromkeys(k for row in rows if isinstance(row, Mapping) for k in row))
    writer = csv.writer(out, lineterminator="\n")
    if columns:
        writer.writerow(columns)
        for row in rows:
            writer.writerow(
                [_text(row.get(c)) if isinstance(row, Mapping) else "" for c in columns]
            )
    else:
        for row in rows:
            writer.writerow(row if isinstance(row, list) else [_text(row)])
    return out.getvalue().encode("utf-8", "replace")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _element_name(name: str) -> str:
    cleaned = _XML_NAME.sub("_", name) or "item"
    return cleaned if cleaned[0].isalpha() or cleaned[0] == "_" else f"_{cleaned}"


def _hints(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    xml = schema.get("xml")
    return xml if isinstance(xml, Mapping) else {}


def _qualified(name: str, hints: Mapping[str, Any], element: ElementTree.Element | None) -> str:
    prefix = hints.get("prefix")
    namespace = hints.get("namespace")
    if isinstance(prefix, str) and prefix and isinstance(namespace, str) and element is not None:
        element.set(f"xmlns:{prefix}", namespace)
    return f"{prefix}:{name}" if isinstance(prefix, str) and prefix else name


def _merged(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    """Properties and `xml` of `allOf` parts too (XML names come from the parts)."""
    parts = [p for p in schema.get("allOf") or () if isinstance(p, Mapping)]
    if not parts:
        return schema
    props: dict[str, Any] = {}
    for part in [*parts, schema]:
        props.update(part.get("properties") or {})
    xml = next((p["xml"] for p in [schema, *parts] if isinstance(p.get("xml"), Mapping)), None)
    return {**schema, "properties": props, **({"xml": xml} if xml else {})}


def _fill(element: ElementTree.Element, value: Any, schema: Mapping[str, Any]) -> None:
    schema = _merged(schema)
    if isinstance(value, Mapping):
        props: Mapping[str, Any] = schema.get("properties") or {}
        for key, item in value.items():
            found = props.get(key)
            sub: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
            hints = _hints(sub)
            tag = _element_name(str(hints.get("name") or key))
            if hints.get("attribute") and not isinstance(item, (dict, list)):
                element.set(tag, _text(item))
            elif isinstance(item, list):
                _array(element, tag, item, sub)
            else:
                child = ElementTree.SubElement(element, tag)
                child.tag = _qualified(tag, hints, child)
                _fill(child, item, sub)
    elif isinstance(value, list):
        _array(element, "item", value, schema)
    else:
        element.text = _text(value)


def _array(
    parent: ElementTree.Element, tag: str, items: list[Any], schema: Mapping[str, Any]
) -> None:
    found = schema.get("items")
    item_schema: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    item_tag = _element_name(str(_hints(item_schema).get("name") or tag))
    holder = parent
    if _hints(schema).get("wrapped"):
        holder = ElementTree.SubElement(parent, tag)
    for item in items:
        child = ElementTree.SubElement(holder, item_tag)
        _fill(child, item, item_schema)


def xml_bytes(value: Any, schema: Mapping[str, Any], name: str | None = None) -> bytes:
    """An XML document for `value`: the root element is `xml.name`, else `name`, else the
    array's item name or `root`."""
    schema = _merged(schema)
    hints = _hints(schema)
    root_name = _element_name(str(hints.get("name") or name or "root"))
    root = ElementTree.Element(root_name)
    namespace = hints.get("namespace")
    if isinstance(namespace, str) and namespace and not hints.get("prefix"):
        root.set("xmlns", namespace)
    root.tag = _qualified(root_name, hints, root)
    if isinstance(value, list):
        _array(root, root_name, value, {**schema, "xml": {**hints, "wrapped": False}})
    else:
        _fill(root, value, schema)
    return bytes(ElementTree.tostring(root, encoding="utf-8", xml_declaration=True))


_NAMES: dict[int, tuple[Mapping[str, Any], str | None]] = {}


def component_name(schema: Mapping[str, Any], document: Mapping[str, Any]) -> str | None:
    """The `components/schemas` name of `schema` (resolved documents inline them: found by
    equality, once per schema)."""
    known = _NAMES.get(id(schema))
    if known is not None and known[0] is schema:
        return known[1]
    schemas = (document.get("components") or {}).get("schemas") or {}
    found = next((str(n) for n, s in schemas.items() if s is schema or s == schema), None)
    if found is None and isinstance(schema.get("items"), Mapping):
        items = schema["items"]
        found = next((str(n) for n, s in schemas.items() if s is items or s == items), None)
    _NAMES[id(schema)] = (schema, found)
    return found


def non_json_body(
    choice: Choice,
    op: Operation,
    contract: Contract,
    served: Mapping[str, Any],
    generator: Generator,
) -> bytes:
    """The body of a non-JSON `choice`: its example (`served` holds the replacements of
    invalid ones), or data generated for its schema (text: a sentence; binary: bytes)."""
    response = op.responses.get(str(choice.status))
    media = response.content.get(choice.media_type) if response else None
    schema = media.schema if media is not None else None
    value: Any = None
    if choice.example is not None and media is not None and choice.example in media.examples:
        value = media.examples[choice.example].value
        if not isinstance(value, str):
            value = served.get(choice.example, value)
    elif choice.example is not None:
        value = served.get(choice.example)
    elif _base(choice.media_type) in _SMALLEST_TEXT and generator.accepts(
        schema or {},
        _SMALLEST_TEXT[_base(choice.media_type)],
        contract.resolved,
        contract.openapi_version.startswith("3.1"),
    ):
        value = _SMALLEST_TEXT[_base(choice.media_type)]
    elif is_xml(choice.media_type) or _base(choice.media_type).startswith("text/"):
        value = generator.value(
            schema or {"type": "string"},
            "message",  # a sentence, where the schema leaves the words open
            document=contract.resolved,
            openapi_version=contract.openapi_version,
        )
    name = (
        component_name(schema, contract.resolved) if schema and is_xml(choice.media_type) else None
    )
    return encode(value, choice.media_type, schema, name=name)
