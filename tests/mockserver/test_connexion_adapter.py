"""Connexion's private API, as `mockserver.connexion_ext` uses it, is still there.

The mock reaches into Connexion in one module only. When a Connexion release renames one
of those internals, building the mock must fail at once with an error naming the missing
attribute, not answer wrongly later: these tests build a real mock on the installed
Connexion, then take each internal away and read the error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from connexion.middleware import ConnexionMiddleware
from connexion.middleware.request_validation import RequestValidationOperation
from connexion.middleware.security import SecurityMiddleware, SecurityOperation
from connexion.security import AbstractSecurityHandler

from contracts import load_contract
from mockserver.app import MockServer
from mockserver.config import MockConfig
from mockserver.connexion_ext import (
    CachedRequestValidationMiddleware,
    CachedRequestValidationOperation,
    ConnexionInternalsChanged,
    build_stack,
    check_internals,
    operation_objects,
)
from tests.conftest import API_IDS, SPECS

CONTRACTS = [load_contract(SPECS / f"{api}.yaml") for api in API_IDS]


def test_the_installed_connexion_has_every_internal_the_adapter_uses() -> None:
    check_internals()
    server = MockServer(MockConfig(seed=1), CONTRACTS)
    stack = build_stack(server.connexion)
    for contract in CONTRACTS:
        objects = operation_objects(stack, f"/{contract.api_id}")
        assert set(objects) == {op.key for op in contract.operations}
        for found in objects.values():
            assert isinstance(found.guard, SecurityOperation)
            assert isinstance(found.validation, CachedRequestValidationOperation)
            assert found.schemes == contract.security_schemes


def _without_instance_attribute(cls: type, name: str) -> Callable[..., None]:
    original = cls.__init__  # type: ignore[misc]

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.__dict__.pop(name, None)

    return init


@pytest.mark.parametrize(
    ("owner", "name"),
    [
        (SecurityOperation, "security"),
        (SecurityOperation, "security_schemes"),
        (RequestValidationOperation, "_operation"),
        (RequestValidationOperation, "_validator_map"),
    ],
)
def test_a_missing_instance_attribute_stops_the_build_naming_it(
    monkeypatch: pytest.MonkeyPatch, owner: type, name: str
) -> None:
    monkeypatch.setattr(owner, "__init__", _without_instance_attribute(owner, name))
    with pytest.raises(ConnexionInternalsChanged, match=f"has no attribute '{name}'"):
        MockServer(MockConfig(seed=1), CONTRACTS[:1])


def test_middleware_without_its_apis_is_named() -> None:
    unbuilt = [cls.__new__(cls) for cls in (SecurityMiddleware, CachedRequestValidationMiddleware)]
    with pytest.raises(
        ConnexionInternalsChanged, match="SecurityMiddleware has no attribute 'apis'"
    ):
        operation_objects(unbuilt, "/pharen")


@pytest.mark.parametrize(
    ("owner", "name"),
    [
        (ConnexionMiddleware, "_build_middleware_stack"),
        (AbstractSecurityHandler, "get_fn"),
    ],
)
def test_a_missing_method_is_named(monkeypatch: pytest.MonkeyPatch, owner: type, name: str) -> None:
    monkeypatch.delattr(owner, name)
    with pytest.raises(ConnexionInternalsChanged) as caught:
        check_internals()
    assert f"{owner.__qualname__} has no attribute '{name}'" in str(caught.value)
