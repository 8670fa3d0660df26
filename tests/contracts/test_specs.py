"""The shipped contracts: valid, resolvable, examples true to their schemas, scenarios complete."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from contracts import Contract, check_scenarios
from contracts.examples import example_errors, iter_examples
from tests.conftest import API_IDS, SPECS

UPSTREAM = sorted((SPECS / "upstream").glob("*.yaml"))


def test_all_five_apis_are_shipped() -> None:
    assert sorted(API_IDS) == ["altostrat", "example", "pharen", "quiva", "wiv"]


def test_spec_declares_a_supported_version(contract: Contract) -> None:
    # The mock serves 3.0.x, and 3.1.x through its 3.0 view for Connexion (mockserver.oas31).
    assert contract.openapi_version.startswith(("3.0.", "3.1."))


def test_no_ref_survives_resolution(contract: Contract) -> None:
    assert "$ref" not in yaml.safe_dump(dict(contract.resolved["paths"]))


def test_operation_ids_are_unique(contract: Contract) -> None:
    ids = [op.operation_id for op in contract.operations if op.operation_id]
    assert len(ids) == len(set(ids))


def test_every_example_matches_its_schema(contract: Contract) -> None:
    examples = list(iter_examples(contract.source.data, contract.resolved))
    assert examples, "a contract without examples gives the mock nothing to answer with"
    failures = {
        "/".join(map(str, ex.path)): errors
        for ex in examples
        if (errors := example_errors(ex, contract.openapi_version))
    }
    assert failures == {}


def test_every_example_has_a_summary(contract: Contract) -> None:
    op = contract.operation()
    named = list(op.request_examples.values()) + [
        ex for r in op.responses.values() for _, ex in r.examples
    ]
    assert [ex.name for ex in named if not ex.summary] == []


def test_every_error_response_has_a_schema(contract: Contract) -> None:
    for op in contract.operations:
        for status, response in op.responses.items():
            if status.startswith(("4", "5")):
                assert response.content, f"{op.key} {status} has no body"
                for media in response.content.values():
                    assert media.schema, f"{op.key} {status} {media.media_type} has no schema"


def test_every_error_response_has_a_named_example(contract: Contract) -> None:
    op = contract.operation()
    for status, response in op.responses.items():
        if status.startswith(("4", "5")):
            assert list(response.examples), f"{op.key} {status} has no example to answer with"


def test_scenarios_name_only_what_the_spec_has(contract: Contract) -> None:
    assert contract.scenarios is not None
    assert check_scenarios(contract) == []


def test_every_documented_error_is_reachable_by_a_case(contract: Contract) -> None:
    assert contract.scenarios is not None
    op = contract.operation()
    reached = {(c.expect.status, c.expect.example) for c in contract.scenarios.cases}
    documented = {
        (int(status), ex.name)
        for status, response in op.responses.items()
        if status.startswith(("4", "5"))
        for _, ex in response.examples
    }
    assert documented - reached == set()


def test_every_request_example_is_paired_or_used(contract: Contract) -> None:
    assert contract.scenarios is not None
    op = contract.operation()
    used = set(contract.scenarios.pairs) | {
        c.request.body_example for c in contract.scenarios.cases if c.request.body_example
    }
    assert set(op.request_examples) - used == set()


@pytest.mark.parametrize("path", UPSTREAM, ids=[p.stem for p in UPSTREAM])
def test_upstream_is_the_vendor_document_verbatim(path: Path) -> None:
    seeds = SPECS.parent.parent / "shared" / "seeds"
    if not seeds.is_dir():
        pytest.skip("vendor seeds are not beside this checkout")
    text = path.read_text()
    assert any(text.strip() in seed.read_text() for seed in seeds.glob("*.txt"))


def _bare_objects(node: object, path: tuple[str, ...] = ()) -> list[str]:
    """Where a schema says `type: object` and nothing about its keys."""
    found: list[str] = []
    if isinstance(node, dict):
        says_nothing = not {
            "properties",
            "additionalProperties",
            "patternProperties",
            "$ref",
        } & set(node) and not {"allOf", "oneOf", "anyOf"} & set(node)
        if node.get("type") == "object" and says_nothing:
            found.append("/".join(path))
        for key, value in node.items():
            found += _bare_objects(value, (*path, str(key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _bare_objects(value, (*path, str(index)))
    return found


def test_any_object_says_so(contract: Contract) -> None:
    """A field documented as any object says `additionalProperties: true`: openapi-typescript
    types a bare `type: object` as `Record<string, never>` (docs/clients.md)."""
    assert _bare_objects(contract.source.data) == []
