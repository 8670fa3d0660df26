"""represent: the bytes of non-JSON media types, from values and the schema's xml hints."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

import httpx

from mockserver.config import MockConfig
from mockserver.represent import concrete, encode, xml_bytes
from tests.mockserver.conftest import running

PET = {
    "type": "object",
    "xml": {"name": "pet", "namespace": "https://example.com/ns", "prefix": "p"},
    "properties": {
        "id": {"type": "integer", "xml": {"attribute": True}},
        "name": {"type": "string", "xml": {"name": "label"}},
        "tags": {"type": "array", "items": {"type": "string", "xml": {"name": "tag"}}},
        "photos": {
            "type": "array",
            "xml": {"wrapped": True},
            "items": {"type": "string", "xml": {"name": "url"}},
        },
    },
}


def test_xml_follows_names_attributes_wrapping_and_prefixes() -> None:
    value = {"id": 7, "name": "Rex & Co", "tags": ["a", "b"], "photos": ["u1"]}
    text = xml_bytes(value, PET).decode()
    assert text.startswith("<?xml version='1.0' encoding='utf-8'?>")
    root = ElementTree.fromstring(text.split("?>", 1)[1].replace("p:", ""))
    assert root.tag == "pet" and root.attrib["id"] == "7"
    assert root.find("label").text == "Rex & Co"  # type: ignore[union-attr]
    assert [t.text for t in root.findall("tag")] == ["a", "b"]  # unwrapped: repeated
    assert [u.text for u in root.find("photos")] == ["u1"]  # type: ignore[union-attr]
    assert 'xmlns:p="https://example.com/ns"' in text and "<p:pet" in text


def test_the_root_is_named_by_the_component_when_xml_names_nothing() -> None:
    assert xml_bytes({"a": 1}, {"type": "object"}, "Order").startswith(
        b"<?xml version='1.0' encoding='utf-8'?>\n<Order><a>1</a></Order>"
    )


def test_csv_has_a_header_and_a_line_per_object() -> None:
    body = encode([{"a": 1, "b": True}, {"a": 2, "b": None}], "text/csv", None)
    assert body == b"a,b\n1,true\n2,\n"


def test_strings_are_sent_as_written_and_ranges_become_concrete_types() -> None:
    assert encode("<x/>", "application/xml", {"type": "object"}) == b"<x/>"
    assert encode("caf\u00e9", "text/plain; charset=utf-8", None) == "caf\u00e9".encode()
    assert encode(None, "image/*", None).startswith(b"\x89PNG")
    assert concrete("image/*") == "image/png" and concrete("text/*") == "text/plain"
    assert concrete("application/vnd.api+json") == "application/vnd.api+json"


def test_a_generated_calendar_is_an_icalendar_document_where_the_schema_allows() -> None:
    spec = Path(__file__).resolve().parent.parent / "fixtures" / "calendar31.yaml"
    with running(MockConfig(apis=(str(spec),), seed=5)) as (base, _app):
        feed = httpx.get(f"{base}/calendar31/events.ics")
        short = httpx.get(f"{base}/calendar31/short.ics")
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("text/calendar")
    lines = feed.content.decode().split("\r\n")
    assert (lines[0], lines[-2], lines[-1]) == ("BEGIN:VCALENDAR", "END:VCALENDAR", "")
    assert {"VERSION:2.0", "BEGIN:VEVENT", "END:VEVENT"} <= set(lines)
    assert any(line.startswith("PRODID:") for line in lines)
    # where the schema refuses that document, generated text its schema accepts
    assert short.status_code == 200
    assert 0 < len(short.text) <= 12 and "VCALENDAR" not in short.text
