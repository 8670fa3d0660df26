"""Control characters in path parameters (issue 13, item 8): `%00` was accepted and echoed
into quiva's trackingId; every C0 character and DEL are now refused with 400 in the API's
error shape, and journaled."""

from __future__ import annotations

import httpx
import pytest

from contracts import load_contract
from tests.conftest import SPECS
from tests.mockserver.conftest import success_request

QUIVA = load_contract(SPECS / "quiva.yaml")
RUN = success_request(QUIVA)


@pytest.mark.parametrize("encoded", ["%00", "%01", "%0A", "%0D", "%1F", "abc%00def"])
def test_a_control_character_in_a_path_parameter_is_a_400(
    fresh: httpx.Client, encoded: str
) -> None:
    flow = RUN["url"].split("/")[-2]
    url = RUN["url"].replace(f"/{flow}/run", f"/{encoded}/run")
    response = fresh.request(**{**RUN, "url": url})
    assert response.status_code == 400
    first_400 = next(iter(QUIVA.operation().responses["400"].examples))[1].value
    assert set(response.json()) == set(first_400)
    assert "control character U+00" in response.text
    assert "trackingId" not in response.json()
    assert fresh.request(**RUN).status_code == 200
    entries = fresh.get("/__mock/requests").json()["requests"]
    assert [e["status"] for e in entries] == [400, 200]
    assert entries[0]["rule"].startswith("validate: ")


def test_printable_and_encoded_non_ascii_parameters_still_pass(fresh: httpx.Client) -> None:
    flow = RUN["url"].split("/")[-2]
    for value in ("a%20b", "caf%C3%A9", "x~y", "del%7F"):  # DEL is no C0 character
        url = RUN["url"].replace(f"/{flow}/run", f"/{value}/run")
        assert fresh.request(**{**RUN, "url": url}).status_code == 200
