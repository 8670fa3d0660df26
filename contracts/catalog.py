"""The catalog: finds the contracts, loads and resolves each, hands out its parts.

Nothing else in flowcontract parses a spec. A contract is the OpenAPI document
(`specs/<id>.yaml`) and, beside it, its scenarios (`specs/<id>.scenarios.yaml`).
Loading never touches the network: a remote `$ref` is refused before resolution.
"""

from __future__ import annotations

import importlib.util
import os
import pickle
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from .errors import RemoteRefError, SpecError, UsageError
from .scenarios import Scenarios, load_scenarios
from .yamlsource import JsonPath, Source, load_source

if TYPE_CHECKING:
    from .examples import ResponseExampleCheck

__all__ = [
    "HTTP_METHODS",
    "Contract",
    "Example",
    "MediaType",
    "Operation",
    "Response",
    "default_specs_dir",
    "find_specs",
    "has_external_refs",
    "inline_local_refs",
    "load_contract",
    "pointer",
    "ref_siblings_as_all_of",
    "resolve_spec_argument",
    "start_loading",
]

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_REMOTE_REF = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)")


def default_specs_dir() -> Path:
    """`./specs` when run from a checkout, else the specs installed with the package (the
    data package `flowcontract_specs`)."""
    local = Path.cwd() / "specs"
    if local.is_dir():
        return local
    spec = importlib.util.find_spec("flowcontract_specs")
    for location in (spec.submodule_search_locations or []) if spec else []:
        if Path(location).is_dir():
            return Path(location)
    return Path(__file__).resolve().parent.parent / "specs"


@dataclass(frozen=True)
class Example:
    name: str
    value: Any
    summary: str | None = None
    media_type: str = ""  # the media type that documents it (how a request example is sent)


@dataclass(frozen=True)
class MediaType:
    media_type: str
    schema: Mapping[str, Any] | None
    examples: Mapping[str, Example]


@dataclass(frozen=True)
class Response:
    status: str
    description: str
    content: Mapping[str, MediaType]

    @property
    def examples(self) -> Iterator[tuple[str, Example]]:
        for media in self.content.values():
            for example in media.examples.values():
                yield media.media_type, example


@dataclass(frozen=True)
class Operation:
    """One method on one path, with path-level parameters merged in."""

    method: str
    path: str
    operation_id: str | None
    definition: Mapping[str, Any] = field(repr=False)
    parameters: tuple[Mapping[str, Any], ...] = field(repr=False)
    request_body: Mapping[str, Any] | None = field(repr=False)
    responses: Mapping[str, Response] = field(repr=False)
    security: tuple[Mapping[str, list[str]], ...] = field(repr=False)

    @property
    def key(self) -> str:
        """`POST /path`: how flowcontract names an operation (operationId is optional)."""
        return f"{self.method.upper()} {self.path}"

    @property
    def request_examples(self) -> dict[str, Example]:
        out: dict[str, Example] = {}
        for media in _media_types((self.request_body or {}).get("content", {})).values():
            out.update(media.examples)
        return out

    def response_example(self, name: str) -> tuple[Response, str, Example] | None:
        for response in self.responses.values():
            for media_type, example in response.examples:
                if example.name == name:
                    return response, media_type, example
        return None


def _examples(media_type: str, media: Mapping[str, Any]) -> dict[str, Example]:
    out: dict[str, Example] = {}
    for name, ex in (media.get("examples") or {}).items():
        if isinstance(ex, Mapping) and "value" in ex:
            out[name] = Example(
                name=name, value=ex["value"], summary=ex.get("summary"), media_type=media_type
            )
    if "example" in media and not out:
        out["example"] = Example(name="example", value=media["example"], media_type=media_type)
    return out


def _media_types(content: Mapping[str, Any]) -> dict[str, MediaType]:
    return {
        mt: MediaType(media_type=mt, schema=body.get("schema"), examples=_examples(mt, body))
        for mt, body in (content or {}).items()
        if isinstance(body, Mapping)
    }


@dataclass(frozen=True)
class Contract:
    """One API: its resolved OpenAPI document, its operations and its scenarios."""

    api_id: str
    path: Path
    source: Source = field(repr=False)
    resolved: Mapping[str, Any] = field(repr=False)
    scenarios: Scenarios | None = field(default=None, repr=False)
    # What the validation found that does not stop serving (`oas_validation`), one line
    # each: `file:line:col: warning: cause`.
    warnings: tuple[str, ...] = field(default=(), repr=False)

    @property
    def openapi_version(self) -> str:
        return str(self.resolved.get("openapi", ""))

    @property
    def title(self) -> str:
        return str(self.resolved.get("info", {}).get("title", self.api_id))

    @cached_property
    def operations(self) -> tuple[Operation, ...]:
        ops: list[Operation] = []
        global_security = self.resolved.get("security") or []
        for path, item in (self.resolved.get("paths") or {}).items():
            shared = list(item.get("parameters") or [])
            for method in HTTP_METHODS:
                op = item.get(method)
                if not isinstance(op, Mapping):
                    continue
                own = list(op.get("parameters") or [])
                own_keys = {(p.get("name"), p.get("in")) for p in own}
                params = [p for p in shared if (p.get("name"), p.get("in")) not in own_keys] + own
                responses = {
                    str(status): Response(
                        status=str(status),
                        description=str(resp.get("description", "")),
                        content=_media_types(resp.get("content") or {}),
                    )
                    for status, resp in (op.get("responses") or {}).items()
                }
                security = op.get("security", global_security) or []
                ops.append(
                    Operation(
                        method=method,
                        path=path,
                        operation_id=op.get("operationId"),
                        definition=op,
                        parameters=tuple(params),
                        request_body=op.get("requestBody"),
                        responses=responses,
                        security=tuple(security),
                    )
                )
        return tuple(ops)

    def operation(self, ref: str | None = None) -> Operation:
        """The operation named by `METHOD /path` or operationId; the only one if `ref` is None."""
        if ref is None:
            if len(self.operations) != 1:
                raise UsageError(f"{self.api_id} has {len(self.operations)} operations: name one")
            return self.operations[0]
        for op in self.operations:
            if ref in (op.key, op.operation_id):
                return op
        raise UsageError(f"{self.api_id} has no operation {ref!r}")

    @property
    def security_schemes(self) -> Mapping[str, Any]:
        return dict((self.resolved.get("components") or {}).get("securitySchemes") or {})

    def locate(self, path: JsonPath) -> tuple[int, int] | None:
        return self.source.locate(path)

    @cached_property
    def invalid_response_examples(self) -> tuple[ResponseExampleCheck, ...]:
        """The response examples their own schema refuses (`contracts.examples`)."""
        from .examples import invalid_response_examples

        return invalid_response_examples(self)


def find_specs(specs_dir: Path | None = None) -> list[Path]:
    """Every contract in `specs_dir`: `<id>.yaml|yml|json`, not scenarios, not upstream/."""
    specs_dir = specs_dir or default_specs_dir()
    return sorted(
        p
        for p in specs_dir.iterdir()
        if p.suffix in {".yaml", ".yml", ".json"} and ".scenarios." not in p.name and p.is_file()
    )


def resolve_spec_argument(arg: str, specs_dir: Path | None = None) -> Path:
    """An API id (`quiva`) or a path to a spec file, as given on a command line."""
    candidate = Path(arg)
    if candidate.suffix in {".yaml", ".yml", ".json"} or "/" in arg:
        if not candidate.is_file():
            raise UsageError("file not found", file=arg)
        return candidate
    specs_dir = specs_dir or default_specs_dir()
    for suffix in (".yaml", ".yml", ".json"):
        path = specs_dir / f"{arg}{suffix}"
        if path.is_file():
            return path
    known = ", ".join(p.stem for p in find_specs(specs_dir)) if specs_dir.is_dir() else "none"
    raise UsageError(f"unknown API {arg!r} (known: {known})")


def _refuse_remote_refs(source: Source) -> None:
    def walk(node: Any, path: JsonPath) -> None:
        if isinstance(node, Mapping):
            ref = node.get("$ref")
            if isinstance(ref, str) and _REMOTE_REF.match(ref):
                line, col = source.locate((*path, "$ref")) or (None, None)
                raise RemoteRefError(
                    f"remote $ref {ref!r} refused: specs are loaded without network access",
                    file=source.path,
                    line=line,
                    column=col,
                )
            for key, value in node.items():
                if not _is_extension(key):
                    walk(value, (*path, key))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, (*path, index))

    walk(source.data, ())


def _is_extension(key: Any) -> bool:
    """An `x-` key: its value is free-form, a `$ref` in it is not a reference."""
    return isinstance(key, str) and key.startswith("x-")


def _refuse_dangling_refs(source: Source) -> None:
    stack: list[tuple[Any, JsonPath]] = [(source.data, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, Mapping):
            ref = node.get("$ref")
            if (
                isinstance(ref, str)
                and ref.startswith("#")
                and pointer(source.data, ref) is _MISSING
            ):
                line, col = source.locate((*path, "$ref")) or (None, None)
                raise SpecError(
                    f"unresolvable $ref {ref!r}", file=source.path, line=line, column=col
                )
            stack.extend(
                (value, (*path, key)) for key, value in node.items() if not _is_extension(key)
            )
        elif isinstance(node, list):
            stack.extend((value, (*path, i)) for i, value in enumerate(node))


def pointer(doc: Any, ref: str) -> Any:
    """The node a local `#/a/b` reference points at, or a sentinel that no node is."""
    node = doc
    for part in ref[1:].split("/")[1:] if ref != "#" else []:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return _MISSING
    return node


_MISSING = object()


def has_external_refs(data: Any) -> bool:
    """Whether any `$ref` in `data` points outside the document itself."""
    return any(not ref.startswith("#") for ref in _references(data))


def _check_file_refs(spec: Path, references: set[str]) -> None:
    """Every file the document's `$ref`s reach (and theirs, in turn), read as our own
    reader reads a spec before prance follows them: a regular file (never a device, FIFO
    or directory), within the size limit, its aliases bounded, and holding the node the
    reference points at. What is wrong is said without quoting the file."""
    seen: set[Path] = set()
    pending = [(spec, references)]
    while pending:
        base, refs = pending.pop()
        for ref in sorted(refs):
            target, _, fragment = ref.partition("#")
            if not target or _REMOTE_REF.match(ref):
                continue
            path = Path(unquote(target))
            path = path if path.is_absolute() else (base.parent / path)
            # load_source refuses what is not a regular file, too large, or a YAML bomb
            loaded = load_source(path, SpecError, positions=False)
            if fragment and pointer(loaded.data, "#" + fragment) is _MISSING:
                raise SpecError(f"$ref {ref!r}: no node #{fragment} in {path}", file=base)
            if fragment == "" and not isinstance(loaded.data, Mapping | list):
                raise SpecError(f"$ref {ref!r}: {path} is not a JSON or YAML document", file=base)
            resolved = path.resolve()
            if resolved not in seen:
                seen.add(resolved)
                pending.append((path, _references(loaded.data)))


def _references(data: Any) -> set[str]:
    """Every `$ref` of `data` (outside `x-` extensions), in one walk."""
    found: set[str] = set()
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if type(ref) is str:
                found.add(ref)
            stack.extend(
                value
                for key, value in node.items()
                if type(value) in (dict, list) and not (type(key) is str and key[:2] == "x-")
            )
        elif isinstance(node, list):
            stack.extend(value for value in node if type(value) in (dict, list))
        elif isinstance(node, Mapping):
            stack.append(dict(node))
    return found


def inline_local_refs(data: Any, *, recursion: int = 1) -> Any:
    """`data` with every local `$ref` replaced by its target, in one pass.

    Each target is resolved once and the *same* node is put at every place that refers
    to it, so the result must be treated as read-only. `x-` extensions are left as
    written. A recursive schema is expanded `recursion` times inside itself, then becomes
    `{}` where it recurs (lint and diff read one level; the mock generates data from
    three, as prance's resolver did); a `$ref` whose target is missing becomes `{}` too
    (lint reports it; `resolve` refuses it before getting here).
    """
    done: dict[str, Any] = {}
    active: dict[str, int] = {}
    cut = False  # whether the walk in progress cut a recursion short

    def walk(node: Any) -> Any:
        nonlocal cut
        if isinstance(node, Mapping):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#"):
                if ref in done:
                    return done[ref]
                depth = active.get(ref, 0)
                if depth >= recursion:
                    cut = True
                    return {}
                target = pointer(data, ref)
                if target is _MISSING:
                    return {}
                active[ref] = depth + 1
                outer, cut = cut, False
                value = walk(target)
                active[ref] = depth
                # A partial expansion (cut inside, and not the outermost) is not the
                # schema: it is shared only where it was made.
                if depth == 0 or not cut:
                    done[ref] = value
                cut = cut or outer
                return value
            return {
                key: value if type(key) is str and key[:2] == "x-" else walk(value)
                for key, value in node.items()
            }
        if isinstance(node, list):
            return [walk(value) for value in node]
        return node

    return walk(data)


# JSON Schema keywords that constrain a value: beside a `$ref` (OpenAPI 3.1, JSON Schema
# 2020-12) they apply together with the referenced schema. Annotations (description,
# summary, examples) and Path Item fields beside a `$ref` are not among them.
_ASSERTIONS = frozenset(
    {
        "type", "const", "enum", "format", "default", "nullable",
        "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum",
        "maxLength", "minLength", "pattern", "maxItems", "minItems", "uniqueItems",
        "maxContains", "minContains", "contains", "prefixItems", "items", "unevaluatedItems",
        "maxProperties", "minProperties", "required", "dependentRequired", "properties",
        "patternProperties", "additionalProperties", "unevaluatedProperties", "propertyNames",
        "dependentSchemas", "allOf", "anyOf", "oneOf", "not", "if", "then", "else",
        "readOnly", "writeOnly",
    }
)  # fmt: skip


def ref_siblings_as_all_of(node: Any) -> Any:
    """`{$ref: X, required: [a]}` as `{allOf: [{$ref: X}], required: [a]}` everywhere in
    an OpenAPI 3.1 document: what 2020-12 means by it, and what a resolver that replaces a
    `$ref` node by its target (prance, `inline_local_refs`) keeps. A copy; `node` as is."""
    if isinstance(node, Mapping):
        out = {key: ref_siblings_as_all_of(value) for key, value in node.items()}
        ref = out.get("$ref")
        constraints = set(_ASSERTIONS.intersection(out))
        if isinstance(out.get("required"), bool):  # a parameter's flag, not a schema's list
            constraints.discard("required")
        if isinstance(ref, str) and constraints:
            siblings = {key: value for key, value in out.items() if key not in ("$ref", "allOf")}
            return {"allOf": [{"$ref": ref}, *out.get("allOf", [])], **siblings}
        return out
    if isinstance(node, list):
        return [ref_siblings_as_all_of(value) for value in node]
    return node


def validate_document(source: Source, resolved: Any = None) -> tuple[str, ...]:
    """Refuse a document that is not valid OpenAPI (`SpecError` at the first problem's
    line); the warnings the validation found (`file:line:col: warning: cause`), in the
    order they are written.

    `oas_validation.check_document` decides, as it does for `contracts lint`; `resolved`
    is the document's `inline_local_refs`, when the caller has it."""
    from .oas_validation import check_document

    version = source.data.get("openapi") if isinstance(source.data, Mapping) else None
    if isinstance(version, str) and not re.match(r"3\.[01]\.", version):
        line, col = source.locate(("openapi",)) or (1, 1)
        shown = ".".join(version.split(".")[:2])
        raise SpecError(
            f"OpenAPI {shown} is not supported yet (the mock serves 3.0.x and 3.1.x)",
            file=source.path,
            line=line,
            column=col,
        )
    warnings = []
    problems = check_document(source, resolved)
    for problem in sorted(problems, key=lambda p: (p.severity != "error", p.located(source))):
        line, col = problem.located(source)
        if problem.severity == "error":
            raise SpecError(problem.message, file=source.path, line=line, column=col)
        warning = SpecError(f"warning: {problem.message}", file=source.path, line=line, column=col)
        warnings.append(str(warning))
    return tuple(warnings)


def resolve(source: Source, *, validate: bool = True, read_only: bool = False) -> dict[str, Any]:
    """`resolve_with_warnings` without its warnings."""
    return resolve_with_warnings(source, validate=validate, read_only=read_only)[0]


MOCK_RECURSION = 3
"""How deep a recursive schema is expanded for the mock (`load_contract(recursion=)`)."""


def resolve_with_warnings(
    source: Source, *, validate: bool = True, read_only: bool = False, recursion: int = 1
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Validate `source` as OpenAPI and inline every local and file `$ref` (prance).

    `validate=False` skips the OpenAPI validation (diff does: lint is the validator).
    `read_only=True` lets a document whose `$ref`s are all local be resolved by
    `inline_local_refs`, which shares nodes between the places that refer to them:
    much faster on big specs, for callers that never modify the result.
    `$ref`s inside `x-` extensions are left as written.
    """
    data = source.data
    if not isinstance(data, Mapping) or not (
        isinstance(data.get("openapi"), str) or isinstance(data.get("swagger"), str)
    ):
        raise SpecError("not an OpenAPI document (no 'openapi' version field)", file=source.path)
    references = _references(data)  # one walk; the ones below only locate a bad $ref
    if any(_REMOTE_REF.match(ref) for ref in references):
        _refuse_remote_refs(source)
    if any(not ref.startswith("#") for ref in references):
        _check_file_refs(source.path, references)
    if any(ref.startswith("#") and pointer(data, ref) is _MISSING for ref in references):
        _refuse_dangling_refs(source)  # at its line, before any resolver
    if str(data.get("openapi", "")).startswith("3.1"):
        data = ref_siblings_as_all_of(data)
    if read_only and all(ref.startswith("#") for ref in references):
        if any(pointer(data, ref) is _MISSING for ref in references):
            _refuse_dangling_refs(source)
        shared = dict(inline_local_refs(data, recursion=recursion))
        return shared, validate_document(source, shared) if validate else ()
    warnings = validate_document(source) if validate else ()
    # Imported here: a process that only serves resolved contracts (the mock, after
    # loading them in a child) never holds prance.
    from prance.util.resolver import RESOLVE_FILES, RESOLVE_INTERNAL, RefResolver

    extensions: dict[str, Any] = {}
    resolver = RefResolver(
        _extensions_aside(data, extensions),
        url=source.path.resolve().as_uri(),
        resolve_types=RESOLVE_INTERNAL | RESOLVE_FILES,
        recursion_limit=3,
        recursion_limit_handler=lambda *_: {},
    )
    try:
        resolver.resolve_references()
    except Exception as exc:  # prance's errors can quote the files they read: name only
        raise SpecError(
            f"unresolvable $ref ({type(exc).__name__} in prance's resolver)", file=source.path
        ) from None
    return dict(_extensions_back(resolver.specs, extensions)), warnings


_EXTENSION_TOKEN = "\x00flowcontract-extension:"


def _extensions_aside(node: Any, aside: dict[str, Any]) -> Any:
    """`node` with each `x-` value that holds a `$ref` replaced by a token (prance would
    resolve it); `aside` maps the tokens to the values. `node` itself when there is none."""
    if isinstance(node, Mapping):
        out = {}
        changed = False
        for key, value in node.items():
            if _is_extension(key) and _has_ref(value):
                token = f"{_EXTENSION_TOKEN}{len(aside)}"
                aside[token] = value
                out[key], changed = token, True
            else:
                out[key] = _extensions_aside(value, aside)
                changed = changed or out[key] is not value
        return out if changed else node
    if isinstance(node, list):
        items = [_extensions_aside(value, aside) for value in node]
        return items if any(a is not b for a, b in zip(items, node, strict=True)) else node
    return node


def _has_ref(node: Any) -> bool:
    if isinstance(node, Mapping):
        return "$ref" in node or any(_has_ref(v) for v in node.values())
    if isinstance(node, list):
        return any(_has_ref(v) for v in node)
    return False


def _extensions_back(node: Any, aside: dict[str, Any]) -> Any:
    """The tokens of `_extensions_aside` replaced by their values again (in place)."""
    if not aside:
        return node
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, str) and value.startswith(_EXTENSION_TOKEN):
                node[key] = aside.get(value, value)
            else:
                _extensions_back(value, aside)
    elif isinstance(node, list):
        for value in node:
            _extensions_back(value, aside)
    return node


def load_contract(
    spec: Path | str,
    *,
    scenarios: Path | str | None = None,
    with_scenarios: bool = True,
    validate: bool = True,
    read_only: bool = False,
    recursion: int = 1,
) -> Contract:
    """Load, validate and resolve one contract, with its scenarios file if it has one.

    `spec` is an API id or a file path. `scenarios` overrides the file beside the spec.
    `validate`, `read_only` and `recursion` are passed to `resolve_with_warnings` (and
    `recursion` to `inline_local_refs`); the validation's warnings are
    kept as `Contract.warnings`.
    Raises `SpecError` / `ScenariosError` carrying a one-line message with file and line.
    """
    path = resolve_spec_argument(str(spec)) if not isinstance(spec, Path) else spec
    source = load_source(path, SpecError)
    resolved, warnings = resolve_with_warnings(
        source, validate=validate, read_only=read_only, recursion=recursion
    )
    api_id = path.name.split(".")[0]
    contract = Contract(
        api_id=api_id, path=path, source=source, resolved=resolved, warnings=warnings
    )
    if with_scenarios:
        scenarios_path = (
            Path(scenarios) if scenarios else path.with_name(f"{api_id}.scenarios.yaml")
        )
        if scenarios or scenarios_path.is_file():
            loaded = load_scenarios(scenarios_path)
            object.__setattr__(contract, "scenarios", loaded)
    return contract


def start_loading(
    specs: Sequence[tuple[Path, Path | None]],
    *,
    in_child: bool = True,
    prepare: Callable[[Contract], object] | None = None,
    read_only: bool = False,
    keep_source: bool = True,
    recursion: int = 1,
) -> Callable[[], list[Contract]]:
    """Start loading contracts (`load_contract(spec, scenarios=..., read_only=...)` for
    each pair); the returned function waits for them. `keep_source=False` drops each
    document as written (`Contract.source`: its text, data and positions), for a caller
    that only uses the resolved document: half as much to send back from the child.

    `in_child=True` loads them in a forked child, which sends them back pickled: the
    validators and resolvers (openapi-spec-validator with pydantic, prance), and what
    they allocate, never enter this process, and this process can meanwhile import
    what it needs (the mock imports Connexion). A long-running server saves their memory
    for as long as it runs. Done only where forking is safe (this process has a single
    thread); if the child fails in any way, the contracts load here instead, so every
    error is raised as usual. `prepare` runs on each contract where it loads (to fill its
    cached properties there, e.g. `invalid_response_examples`, whose validators import
    pydantic).
    """

    def load_all() -> list[Contract]:
        contracts = [
            load_contract(spec, scenarios=scenarios, read_only=read_only, recursion=recursion)
            for spec, scenarios in specs
        ]
        if prepare is not None:
            for contract in contracts:
                prepare(contract)
        for contract in contracts if not keep_source else ():
            written = Source(path=contract.path, text="", data=None, positions={})
            object.__setattr__(contract, "source", written)
        return contracts

    if not in_child or not hasattr(os, "fork") or threading.active_count() > 1:
        return load_all
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: load, send, exit without running the parent's cleanup
        status = 1
        try:
            os.close(read_end)
            try:
                outcome: tuple[str, Any] = ("loaded", load_all())
            except Exception as exc:
                outcome = ("raised", exc)
            with os.fdopen(write_end, "wb") as sink:
                pickle.dump(outcome, sink, protocol=pickle.HIGHEST_PROTOCOL)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)

    def received() -> list[Contract]:
        with os.fdopen(read_end, "rb") as source:
            data = source.read()
        os.waitpid(pid, 0)
        try:
            kind, value = pickle.loads(data)
        except Exception:  # the child died or sent what cannot be read: load here
            return load_all()
        if kind == "raised":
            raise value
        return list(value)

    return received
