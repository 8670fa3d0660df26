"""The admin API: health, the journal (credentials masked), reset; state under concurrency."""

from __future__ import annotations

import asyncio

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts import load_contract
from mockserver.app import MockServer
from mockserver.state import Journal, JournalEntry
from tests.conftest import SPECS
from tests.mockserver.conftest import ADMIN, case_request

QUIVA = load_contract(SPECS / "quiva.yaml")
RUN = case_request(QUIVA, QUIVA.scenarios.cases[0])  # type: ignore[union-attr]


def test_health_lists_every_api(client: httpx.Client) -> None:
    health = client.get("/__mock/health").json()
    assert health["status"] == "ok"
    assert [a["id"] for a in health["apis"]] == ["altostrat", "example", "pharen", "quiva", "wiv"]
    assert all(a["base_url"].endswith("/" + a["id"]) for a in health["apis"])


def test_journal_records_oldest_first_with_masked_credentials(fresh: httpx.Client) -> None:
    fresh.request(**{**RUN, "headers": {"Authorization": "Bearer qv_test_token"}})
    fresh.request(**{**RUN, "headers": {"X-Api-Key": "anothersecretkey9876"}})  # a 401
    fresh.post(
        "/wiv/workflows/w1/run", json={"payload": {}}, headers={"X-API-KEY": "wivsecretvalue5555"}
    )
    entries = fresh.get("/__mock/requests").json()["requests"]
    assert [e["api"] for e in entries] == ["quiva", "quiva", "wiv"]
    assert [e["seq"] for e in entries] == sorted(e["seq"] for e in entries)
    first = entries[0]
    assert first["headers"]["authorization"] == "****oken"
    assert entries[1]["headers"]["x-api-key"] == "****9876"
    assert entries[2]["headers"]["x-api-key"] == "****5555"
    dump = str(entries)
    for secret in ("qv_test_token", "anothersecretkey9876", "wivsecretvalue5555"):
        assert secret not in dump
    assert first["method"] == "POST"
    assert first["path"] == "/quiva/hub/workflows/1234567890/21312322/run"
    assert first["body"] == RUN["json"]
    assert first["status"] == 200
    assert first["response_body"]["trackingId"].startswith("ms.hub.run.")
    assert first["operation"] == "POST /hub/workflows/{collection_topic}/{flow_topic}/run"
    assert first["rule"] == "pair"


def test_journal_filters_by_api_and_refuses_unknown_api(fresh: httpx.Client) -> None:
    fresh.request(**RUN)
    fresh.post("/wiv/workflows/w1/run", json={"payload": {}}, headers={"X-API-KEY": "k"})
    assert [
        e["api"] for e in fresh.get("/__mock/requests", params={"api": "wiv"}).json()["requests"]
    ] == ["wiv"]
    assert fresh.get("/__mock/requests", params={"api": "nope"}).status_code == 404


def test_refusals_are_journaled_with_the_rule_that_chose_them(fresh: httpx.Client) -> None:
    fresh.request(**{**RUN, "headers": {}})
    entry = fresh.get("/__mock/requests").json()["requests"][-1]
    assert entry["status"] == 401
    assert entry["rule"].startswith("guard: missing or invalid credentials")


def test_journal_names_the_lane_that_answered(fresh: httpx.Client) -> None:
    scenarios_credential = fresh.request(**RUN)
    unknown_credential = fresh.request(
        **{**RUN, "headers": {"Authorization": "Bearer not_in_the_scenarios_1234"}}
    )
    unrouted = fresh.get("/quiva/no/such/operation")
    # the express lane never refuses a credential: Connexion's guard does
    assert [scenarios_credential.status_code, unknown_credential.status_code] == [200, 401]
    assert unrouted.status_code == 404
    entries = fresh.get("/__mock/requests").json()["requests"]
    assert [(e["status"], e["lane"]) for e in entries] == [
        (200, "express"),
        (401, "connexion"),
        (404, "connexion"),
    ]


def test_reset_empties_the_journal(fresh: httpx.Client) -> None:
    fresh.request(**RUN)
    assert fresh.get("/__mock/requests").json()["count"] == 1
    assert fresh.post("/__mock/reset", headers=ADMIN).json()["status"] == "reset"
    assert fresh.get("/__mock/requests").json()["count"] == 0
    assert fresh.request(**RUN).status_code == 200  # fixtures are back: still answers


def test_admin_never_reachable_under_an_api_mount(client: httpx.Client) -> None:
    assert client.get("/quiva/__mock/health").status_code == 404


def test_concurrent_requests_are_all_journaled(mock: tuple[str, MockServer]) -> None:
    base, server = mock
    httpx.post(f"{base}/__mock/reset", headers=ADMIN)

    async def burst() -> list[int]:
        limits = httpx.Limits(max_connections=32)
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as c:
            responses = await asyncio.gather(
                *(
                    c.request(
                        RUN["method"],
                        RUN["url"],
                        json={**RUN["json"], "n": i},
                        headers=RUN["headers"],
                    )
                    for i in range(300)
                )
            )
        return [r.status_code for r in responses]

    statuses = asyncio.run(burst())
    assert set(statuses) == {200}
    entries = asyncio.run(server.state.journal("quiva"))
    assert len(entries) == 300
    assert sorted(e.body["n"] for e in entries) == list(range(300))
    assert len({e.seq for e in entries}) == 300


def _entry(i: int) -> JournalEntry:
    return JournalEntry(
        time=1.5 + i,
        api=f"api{i % 3}",
        method="POST",
        path=f"/p/{i}",
        query=b"q=1",
        raw_headers=b"a: b\r\nauthorization: ****1234",
        raw_body=b'{"i": %d}' % i,
        status=200 + i % 5,
        raw_response=b"{}",
        operation="POST /p/{i}",
        rule="default",
        example=None,
        duration_ms=0.25,
        client=("127.0.0.1", 40000 + i),
        seq=i + 1,
    )


@settings(max_examples=200, deadline=None)
@given(
    size=st.integers(0, 40),
    block=st.integers(1, 9),
    steps=st.lists(st.one_of(st.integers(1, 30), st.just(0)), max_size=8),
)
def test_journal_ring_keeps_the_last_entries_in_order(
    size: int, block: int, steps: list[int]
) -> None:
    """Whatever the block size, the ring holds exactly the last `size` entries; 0 clears."""
    journal, kept, n = Journal(size, block=block), [], 0
    for count in steps:
        if count == 0:
            journal.clear()
            kept = []
        for _ in range(count):
            journal.append(_entry(n))
            kept = [*kept, _entry(n)][-size:] if size else []
            n += 1
        assert len(journal) == len(kept)
        assert journal.entries() == kept  # compressed and read back field for field
        for since in {0, n // 2, n - 1, n}:
            assert journal.entries(since) == [e for e in kept if e.seq > since]
            for limit in (0, 1, block + 1):
                for api in (None, "api1"):
                    wanted = [e for e in kept if e.seq > since and api in (None, e.api)]
                    assert (
                        journal.entries(since, limit, api) == wanted[max(len(wanted) - limit, 0) :]
                    )


@settings(max_examples=100, deadline=None)
@given(
    block=st.integers(1, 9),
    sizes=st.lists(st.integers(0, 5000), min_size=1, max_size=60),
)
def test_journal_byte_bound_keeps_the_newest_entries(block: int, sizes: list[int]) -> None:
    """Under its byte bound the journal holds a suffix of what was recorded, in order,
    always with the newest entry; past the bound it drops the oldest."""
    max_bytes = 20_000
    journal = Journal(1000, block=block, max_bytes=max_bytes)
    recorded = []
    for n, size in enumerate(sizes):
        entry = _entry(n)
        entry.raw_body = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
        journal.append(entry)
        recorded.append(entry)
        held = journal.entries()
        assert held == recorded[len(recorded) - len(held) :] and held[-1] == entry
        assert len(journal) == len(held)
        assert journal.bytes <= max_bytes


def test_journal_since_and_limit(fresh: httpx.Client) -> None:
    for _ in range(3):
        fresh.request(**RUN)
    fresh.post("/wiv/workflows/w1/run", json={"payload": {}}, headers={"X-API-KEY": "k"})
    everything = fresh.get("/__mock/requests").json()["requests"]
    seqs = [e["seq"] for e in everything]
    assert len(seqs) == 4
    after = fresh.get("/__mock/requests", params={"since": seqs[1]}).json()
    assert [e["seq"] for e in after["requests"]] == seqs[2:] and after["count"] == 2
    last = fresh.get("/__mock/requests", params={"limit": 1, "api": "quiva"}).json()
    assert [e["seq"] for e in last["requests"]] == [seqs[2]]
    assert fresh.get("/__mock/requests", params={"limit": 0}).json()["requests"] == []
    assert fresh.get("/__mock/requests", params={"since": seqs[-1]}).json()["count"] == 0
    for bad in ({"since": "-1"}, {"limit": "ten"}, {"since": "²"}, {"limit": "²"}, {"since": "①"}):
        refused = fresh.get("/__mock/requests", params=bad)
        assert refused.status_code == 400 and "whole number" in refused.json()["error"]
