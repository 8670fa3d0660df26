"""Path and query parameters in every OpenAPI style, parsed into the values their schemas
type, validated, and echoed by the mock's templates with their JSON types: both lanes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockserver.config import MockConfig
from tests.mockserver.conftest import running

SPEC = Path(__file__).resolve().parent.parent / "fixtures" / "parameter_styles.yaml"


@pytest.fixture(scope="module", params=["express", "connexion"])
def client(request: pytest.FixtureRequest) -> Iterator[httpx.Client]:
    config = MockConfig(apis=(str(SPEC),), express=request.param == "express")
    with running(config) as (base, _), httpx.Client(base_url=base, timeout=10) as client:
        client.headers["x-lane"] = request.param
        yield client


def echoed(client: httpx.Client, url: str) -> dict[str, Any]:
    """What the mock parsed from the request's parameters (its template echoes)."""
    answer = client.get(url)
    assert answer.status_code == 200, answer.text
    entry = client.get("/__mock/requests", params={"limit": 1}).json()["requests"][0]
    assert entry["lane"] == client.headers["x-lane"]
    got: dict[str, Any] = answer.json()["got"]
    return got


def refused(client: httpx.Client, url: str) -> str:
    answer = client.get(url)
    assert answer.status_code == 400, answer.text
    return str(answer.json()["message"])


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "/simple/1,2/a,1,b,x/a=2,b=y",
            {"ids": [1, 2], "pair": {"a": 1, "b": "x"}, "fields": {"a": 2, "b": "y"}},
        ),
        (
            "/label/.a%2Cb,c/.1.2/.caf%C3%A9",
            {"ids": ["a,b", "c"], "dotted": [1, 2], "name": "café"},
        ),
        (
            "/matrix/;id=5/;ids=1,2/;many=true;many=false/;a=3;b=z",
            {"id": 5, "ids": [1, 2], "many": [True, False], "pair": {"a": 3, "b": "z"}},
        ),
        (
            "/search?tags=a&tags=b&sizes=1|2&words=x%20y&range[min]=1&range[max]=5"
            "&x=1.5&y=2&exact=true",
            {
                "tags": ["a", "b"],
                "sizes": [1, 2],
                "words": ["x", "y"],
                "range": {"min": 1, "max": 5},
                "point": {"x": 1.5, "y": 2},
                "exact": True,
            },
        ),
    ],
)
def test_each_style_reaches_the_templates_typed(
    client: httpx.Client, url: str, expected: dict[str, Any]
) -> None:
    assert echoed(client, url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/simple/1,x/a,1/a=1", "ids (path parameter): 'x' is not of type 'integer'"),
        ("/simple/1/b,x/a=1", "pair (path parameter): 'a' is a required property"),
        ("/simple/1/a,1,b/a=1", "pair (path parameter): 'a,1,b' is not in simple style"),
        ("/label/a/.1/.x", "ids (path parameter): 'a' is not in label style (....)"),
        ("/matrix/5/;ids=1/;many=true/;a=1", "id (path parameter): '5' is not in matrix style"),
        ("/matrix/;id=0/;ids=1/;many=true/;a=1", "id (path parameter): 0 is less than the minimum"),
        ("/matrix/;id=2147483648/;ids=1/;many=true/;a=1", "id (path parameter): 2147483648"),
        ("/matrix/;id=1/;ids=1/;many=yes/;a=1", "many (path parameter): 'yes' is not of type"),
        # `1`/`0` are numbers, not booleans (Connexion's and JSON's reading; Schemathesis
        # sends them as a boolean of the wrong type and expects a refusal)
        ("/matrix/;id=1/;ids=1/;many=1/;a=1", "many (path parameter): '1' is not of type"),
        ("/search?exact=0", "exact (query parameter): '0' is not of type 'boolean'"),
        ("/search?range[max]=500", "range (query parameter): 500 is greater than the maximum"),
        ("/search?sizes=1|z", "sizes (query parameter): 'z' is not of type 'integer'"),
        ("/search?x=east", "point (query parameter): 'east' is not of type 'number'"),
        ("/search?exact=true&exact=true", "exact (query parameter): given 2 times; it takes one"),
        ("/search?exact=1", "exact (query parameter): '1' is not of type 'boolean'"),
        ("/search?level=null", "level (query parameter): 'null' is not one of ['debug', 'info']"),
    ],
)
def test_a_value_off_its_style_or_schema_is_refused_naming_the_parameter(
    client: httpx.Client, url: str, message: str
) -> None:
    assert refused(client, url).startswith(message)


# No `/`: a decoded segment with a `..` between slashes is refused as a traversal; no
# control character: refused in a path value. No `.` alone: `/.` + `.` is a dot-segment,
# which clients normalize away.
TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="/"),
    min_size=1,
    max_size=12,
).filter(lambda t: t != ".")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ids=st.lists(TEXT, min_size=1, max_size=4),
    dotted=st.lists(st.integers(), max_size=4),
    name=TEXT,
)
def test_any_text_round_trips_through_label_style(
    client: httpx.Client, ids: list[str], dotted: list[int], name: str
) -> None:
    """Items are percent-encoded whole, so a `,` or `.` inside one stays inside it."""
    url = "/label/.{}/.{}/.{}".format(
        ",".join(quote(i, safe="") for i in ids),
        ".".join(str(d) for d in dotted) or "0",
        quote(name, safe=""),
    )
    got = echoed(client, url)
    assert got == {"ids": ids, "dotted": dotted or [0], "name": name}


def test_a_hyphenated_path_parameter_is_found_and_checked_under_its_name(
    client: httpx.Client,
) -> None:
    for url in ("/teams/core-team/members", "/teams/core-team/members?page=2"):
        assert client.get(url).json() == ["octocat"]
    too_short = refused(client, "/teams/x/members?page=2")
    assert too_short.startswith("team-slug (path parameter): 'x' is too short"), too_short
