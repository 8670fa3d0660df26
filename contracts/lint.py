"""`contracts lint`: every defect of a contract that a client (or the mock) could trip over.

Lint reads a spec the way the catalog does, but never stops at the first problem: a broken
document yields findings, each with the line and column it was written at. Rules are
small functions registered in `RULES` with a stable id and severity; the reporters in
`contracts.reporters` turn the findings into text or JSON.

Errors make the contract unusable or untrue (invalid OpenAPI, a `$ref` that does not
resolve, an example its own schema refuses, ...). Warnings are gaps a client will feel
(no documented 4xx, an error body in a different shape from the API's other errors, ...).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .catalog import (
    Contract,
    Operation,
    find_specs,
    has_external_refs,
    inline_local_refs,
    resolve,
    resolve_spec_argument,
)
from .errors import ScenariosError, SpecError, UsageError
from .examples import DocumentedExample, example_verdict, iter_examples, schema_validator
from .oas_validation import check_document
from .pathtemplates import template_names
from .scenarios import check_scenarios, load_scenarios
from .yamlsource import JsonPath, Source, load_source

__all__ = ["RULES", "Finding", "LintRule", "Severity", "lint_spec", "lint_specs"]

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    """One defect of a spec or scenarios file, where it was written."""

    rule: str
    severity: Severity
    file: str
    line: int
    col: int
    message: str
    path: str = ""  # JSON path of the node, dotted: paths./x.post.responses.200


@dataclass(frozen=True)
class LintRule:
    severity: Severity
    summary: str


RULES: dict[str, LintRule] = {
    "spec-unreadable": LintRule("error", "the file is not valid YAML or JSON"),
    "oas-invalid": LintRule("error", "not valid OpenAPI for its declared version (3.0 or 3.1)"),
    "default-invalid": LintRule(
        "warning",
        "a schema's default does not conform to the schema (the mock still serves, and says so)",
    ),
    "ref-unresolved": LintRule("error", "a $ref points at nothing"),
    "ref-remote": LintRule("error", "a $ref points at a remote document (never fetched)"),
    "example-invalid": LintRule("error", "an example does not validate against its schema"),
    "operation-id-duplicate": LintRule("error", "two operations share an operationId"),
    "path-parameter-undeclared": LintRule("error", "a {param} of the path is not declared"),
    "path-parameter-unused": LintRule("error", "a path parameter is declared but not in the path"),
    "response-schema-missing": LintRule("error", "a JSON response has no schema"),
    "scenarios-invalid": LintRule("error", "the scenarios file breaks its format"),
    "scenario-unknown-reference": LintRule(
        "error", "a scenario names a status, example, operation, parameter or scheme the spec lacks"
    ),
    "example-undeclared-property": LintRule(
        "warning",
        "an example has a field its schema does not declare (a typo or an undocumented field)",
    ),
    "operation-4xx-missing": LintRule("warning", "an operation documents no 4xx response"),
    "security-401-missing": LintRule(
        "warning", "an operation requires credentials but documents no 401"
    ),
    "error-shape-inconsistent": LintRule(
        "warning", "an error response's body differs in shape from the API's other errors"
    ),
    "response-requires-nothing": LintRule(
        "warning", "a JSON response object declares properties but requires none: {} conforms"
    ),
    "security-scheme-unused": LintRule(
        "warning", "a security scheme is defined but never required"
    ),
}


def _is_json(media_type: str) -> bool:
    mt = media_type.split(";")[0].strip().lower()
    return mt == "application/json" or mt.endswith("+json") or mt == "*/*"


def _dotted(path: JsonPath) -> str:
    return ".".join(str(p) for p in path)


@dataclass
class _Spec:
    """What the rules look at: the document as written and as resolved."""

    source: Source
    resolved: Mapping[str, Any]
    contract: Contract
    findings: list[Finding] = field(default_factory=list)

    @property
    def data(self) -> Mapping[str, Any]:
        return self.source.data  # type: ignore[no-any-return]

    def real_path(self, path: JsonPath) -> JsonPath:
        """Where the node at `path` of the resolved document is written: through `$ref`s."""
        node: Any = self.data
        real: JsonPath = ()
        for part in path:
            node, real = self._follow(node, real)
            if isinstance(node, Mapping):
                found = part in node
            else:
                found = isinstance(node, list) and isinstance(part, int) and part < len(node)
            if not found:
                return real or path  # not written there: the nearest node that is
            node = node[part]
            real = (*real, part)
        node, real = self._follow(node, real)
        return real

    def _follow(self, node: Any, real: JsonPath) -> tuple[Any, JsonPath]:
        for _ in range(20):
            ref = node.get("$ref") if isinstance(node, Mapping) else None
            if not (isinstance(ref, str) and ref.startswith("#/")):
                break
            target: Any = self.data
            where: list[str | int] = []
            for raw in ref[2:].split("/"):
                part = raw.replace("~1", "/").replace("~0", "~")
                if not isinstance(target, Mapping) or part not in target:
                    return node, real
                target = target[part]
                where.append(part)
            node, real = target, tuple(where)
        return node, real

    def add(self, rule: str, path: JsonPath, message: str, *, follow: bool = True) -> None:
        where = self.real_path(path) if follow else path
        line, col = self.source.locate(where) or (1, 1)
        self.findings.append(
            Finding(
                rule,
                RULES[rule].severity,
                str(self.source.path),
                line,
                col,
                message,
                _dotted(where),
            )
        )


_Check = Callable[[_Spec], None]
_CHECKS: list[_Check] = []


def _check(fn: _Check) -> _Check:
    _CHECKS.append(fn)
    return fn


def _op_path(op: Operation, *rest: str | int) -> JsonPath:
    return ("paths", op.path, op.method, *rest)


# -- the document as written -----------------------------------------------------------


def _oas_findings(source: Source) -> list[Finding]:
    """Every place where the document breaks OpenAPI, as the mock's validation finds it
    (`oas_validation`: one verdict for both)."""
    return [
        Finding(
            problem.rule,
            problem.severity,
            str(source.path),
            *problem.located(source),
            problem.message,
            _dotted(problem.path),
        )
        for problem in check_document(source)
    ]


def _ref_findings(source: Source) -> list[Finding]:
    """Remote `$ref`s, and local or file `$ref`s whose target does not exist."""
    from .catalog import _REMOTE_REF

    out: list[Finding] = []
    files: dict[Path, Any] = {}

    def target_exists(ref: str) -> bool:
        file_part, _, fragment = ref.partition("#")
        doc: Any = source.data
        if file_part:
            target = (source.path.parent / file_part).resolve()
            if target not in files:
                try:
                    files[target] = load_source(target, SpecError, positions=False).data
                except SpecError:
                    files[target] = None
            doc = files[target]
            if doc is None:
                return False
        node = doc
        for raw in [p for p in fragment.split("/") if p]:
            part = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, Mapping) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                return False
        return True

    stack: list[tuple[Any, JsonPath]] = [(source.data, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, Mapping):
            ref = node.get("$ref")
            if isinstance(ref, str):
                where = (*path, "$ref")
                line, col = source.locate(where) or (1, 1)
                if _REMOTE_REF.match(ref):
                    out.append(
                        Finding(
                            "ref-remote",
                            "error",
                            str(source.path),
                            line,
                            col,
                            f"remote $ref {ref!r}: specs are checked without network access",
                            _dotted(where),
                        )
                    )
                elif not target_exists(ref):
                    out.append(
                        Finding(
                            "ref-unresolved",
                            "error",
                            str(source.path),
                            line,
                            col,
                            f"$ref {ref!r} does not resolve",
                            _dotted(where),
                        )
                    )
            stack.extend(
                (v, (*path, k))
                for k, v in node.items()
                if k != "example" and not (isinstance(k, str) and k.startswith("x-"))
            )
        elif isinstance(node, list):
            stack.extend((v, (*path, i)) for i, v in enumerate(node))
    return out


def _without_external_refs(node: Any) -> Any:
    if isinstance(node, Mapping):
        ref = node.get("$ref")
        if isinstance(ref, str) and not ref.startswith("#"):
            return {}
        return {k: _without_external_refs(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_without_external_refs(v) for v in node]
    return node


# -- rules over the resolved document ---------------------------------------------------


@_check
def _examples(spec: _Spec) -> None:
    validators_by_schema: dict[int, Any] = {}
    version = str(spec.data.get("openapi", "3.0"))
    examples: Iterator[DocumentedExample] = iter_examples(spec.data, spec.resolved)
    for example in examples:
        # resolved schemas are shared nodes: one validator per schema, not per example
        validator = validators_by_schema.get(id(example.schema))
        if validator is None:
            validator = schema_validator(example.schema, version)
            validators_by_schema[id(example.schema)] = validator
        verdict = example_verdict(validator, example.value)
        if not verdict.valid:
            what = "cannot be checked" if verdict.unchecked else "does not match its schema"
            detail = verdict.unchecked if verdict.unchecked else verdict.cause()
            spec.add(
                "example-invalid",
                example.path,
                f"{example.kind} example {what}: {detail}",
                follow=False,
            )


def _undeclared(value: Any, schema: Any, where: JsonPath, depth: int = 0) -> Iterator[str]:
    """Keys of `value` that its (object) schema does not declare, as JSON pointers."""
    if not isinstance(schema, Mapping) or depth > 20:
        return
    parts = [schema, *(s for s in schema.get("allOf") or [] if isinstance(s, Mapping))]
    for kw in ("oneOf", "anyOf"):
        branches = [b for b in schema.get(kw) or [] if isinstance(b, Mapping)]
        if isinstance(value, dict):
            branches = [b for b in branches if b.get("type", "object") == "object"]
        elif isinstance(value, list):
            branches = [b for b in branches if b.get("type") == "array"]
        parts.extend(branches)
    if isinstance(value, dict):
        declared: dict[str, Any] = {}
        open_ended = False
        for part in parts:
            declared.update(part.get("properties") or {})
            open_ended |= "additionalProperties" in part or "patternProperties" in part
        if declared and not open_ended:
            for key in value:
                if key not in declared:
                    yield "/".join(map(str, (*where, key)))
        for key, item in value.items():
            if key in declared:
                yield from _undeclared(item, declared[key], (*where, key), depth + 1)
    elif isinstance(value, list):
        for part in parts:
            if isinstance(part.get("items"), Mapping):
                for i, item in enumerate(value):
                    yield from _undeclared(item, part["items"], (*where, i), depth + 1)
                break


@_check
def _example_fields(spec: _Spec) -> None:
    for example in iter_examples(spec.data, spec.resolved):
        if example.kind == "schema":
            continue  # a schema's own example is checked against that schema by example-invalid
        extra = list(_undeclared(example.value, example.schema, ()))
        if extra:
            spec.add(
                "example-undeclared-property",
                example.path,
                f"{example.kind} example has {', '.join(extra)}, which its schema does not "
                "declare: the schema or the example is wrong",
                follow=False,
            )


@_check
def _operation_ids(spec: _Spec) -> None:
    first: dict[str, Operation] = {}
    for op in spec.contract.operations:
        if not isinstance(op.operation_id, str):
            continue
        if op.operation_id in first:
            earlier = first[op.operation_id]
            line = (spec.source.locate(_op_path(earlier, "operationId")) or (0, 0))[0]
            spec.add(
                "operation-id-duplicate",
                _op_path(op, "operationId"),
                f"operationId {op.operation_id!r} is also {earlier.key}'s (line {line})",
            )
        else:
            first[op.operation_id] = op


@_check
def _path_parameters(spec: _Spec) -> None:
    for op in spec.contract.operations:
        in_path = template_names(op.path)
        declared = [p.get("name") for p in op.parameters if p.get("in") == "path"]
        for name in in_path:
            if name not in declared:
                spec.add(
                    "path-parameter-undeclared",
                    _op_path(op),
                    f"{op.key}: path parameter {{{name}}} is not declared in parameters",
                )
        item = spec.data["paths"][op.path]
        for where in (
            ("paths", op.path, op.method, "parameters"),
            ("paths", op.path, "parameters"),
        ):
            owner = item.get(op.method) if len(where) == 4 else item
            raw = owner.get("parameters") if isinstance(owner, Mapping) else None
            for i, param in enumerate(raw if isinstance(raw, list) else []):
                param, _ = spec._follow(param, ())
                if (
                    isinstance(param, Mapping)
                    and param.get("in") == "path"
                    and param.get("name") not in in_path
                ):
                    spec.add(
                        "path-parameter-unused",
                        (*where, i),
                        f"{op.key}: path parameter {param.get('name')!r} is declared "
                        f"but {op.path} has no {{{param.get('name')}}}",
                    )


@_check
def _response_schemas(spec: _Spec) -> None:
    reported: set[JsonPath] = set()
    for op in spec.contract.operations:
        for status, response in op.responses.items():
            for media_type, media in response.content.items():
                if _is_json(media_type) and not media.schema:
                    where = spec.real_path(_op_path(op, "responses", status, "content", media_type))
                    if where in reported:
                        continue  # one shared component response, reported once
                    reported.add(where)
                    spec.add(
                        "response-schema-missing",
                        where,
                        f"{op.key} {status}: {media_type} response has no schema",
                        follow=False,
                    )


def _requires_credentials(op: Operation) -> bool:
    return bool(op.security) and all(req for req in op.security)


@_check
def _error_responses(spec: _Spec) -> None:
    for op in spec.contract.operations:
        statuses = [str(s).upper() for s in op.responses]
        if not any(s.startswith("4") for s in statuses):
            spec.add(
                "operation-4xx-missing",
                _op_path(op, "responses"),
                f"{op.key} documents no 4xx response: clients cannot know how a bad request is refused",
            )
        if _requires_credentials(op) and not any(s in {"401", "4XX"} for s in statuses):
            schemes = " or ".join("+".join(req) for req in op.security)
            spec.add(
                "security-401-missing",
                _op_path(op, "responses"),
                f"{op.key} requires credentials ({schemes}) but documents no 401 "
                "for a request without them",
            )


def _shape(schema: Any, depth: int = 2) -> Any:
    """The shape of a body: its type and, for objects, its fields and their shapes."""
    if not isinstance(schema, Mapping):
        return None
    for kw in ("oneOf", "anyOf"):
        if isinstance(schema.get(kw), list):
            return (kw, tuple(sorted(map(str, (_shape(s, depth) for s in schema[kw])))))
    kind = schema.get("type") or ("object" if "properties" in schema else None)
    if kind == "object" and depth > 0:
        props = schema.get("properties") or {}
        return (
            "object",
            tuple(sorted((str(k), str(_shape(v, depth - 1))) for k, v in props.items())),
        )
    if kind == "array" and depth > 0:
        return ("array", str(_shape(schema.get("items"), depth - 1)))
    return str(kind)


def _describe(shape: Any) -> str:
    if isinstance(shape, tuple) and shape and shape[0] == "object":
        return "{" + ", ".join(name for name, _ in shape[1]) + "}"
    return str(shape[0] if isinstance(shape, tuple) else shape)


@_check
def _error_shapes(spec: _Spec) -> None:
    bodies: list[tuple[Operation, str, str, Any]] = []
    for op in spec.contract.operations:
        for status, response in op.responses.items():
            if str(status)[:1] not in {"4", "5"}:
                continue
            for media_type, media in response.content.items():
                if _is_json(media_type) and media.schema:
                    bodies.append((op, str(status), media_type, _shape(media.schema)))
    if len({b[3] for b in bodies}) < 2:
        return
    usual, count = Counter(b[3] for b in bodies).most_common(1)[0]
    if count * 2 <= len(bodies):
        return  # no shape is the API's usual one: nothing to measure against
    for op, status, media_type, shape in bodies:
        if shape != usual:
            spec.add(
                "error-shape-inconsistent",
                _op_path(op, "responses", status, "content", media_type, "schema"),
                f"{op.key} {status} body is {_describe(shape)}; the API's other errors "
                f"({count} of {len(bodies)}) are {_describe(usual)}",
            )


@_check
def _responses_require_nothing(spec: _Spec) -> None:
    reported: set[JsonPath] = set()
    for op in spec.contract.operations:
        for status, response in op.responses.items():
            for media_type, media in response.content.items():
                if not (_is_json(media_type) and isinstance(media.schema, Mapping)):
                    continue
                base = _op_path(op, "responses", status, "content", media_type, "schema")
                candidates: list[tuple[JsonPath, Mapping[str, Any]]] = [(base, media.schema)]
                for kw in ("oneOf", "anyOf"):
                    for i, branch in enumerate(media.schema.get(kw) or []):
                        if isinstance(branch, Mapping):
                            candidates.append(((*base, kw, i), branch))
                for path, schema in candidates:
                    props = schema.get("properties")
                    if (
                        schema.get("type", "object") == "object"
                        and isinstance(props, Mapping)
                        and props
                        and not schema.get("required")
                        and not schema.get("allOf")
                    ):
                        where = spec.real_path(path)
                        if where in reported:
                            continue
                        reported.add(where)
                        spec.add(
                            "response-requires-nothing",
                            where,
                            f"{op.key} {status}: the body declares {', '.join(map(str, props))} "
                            "but requires none, so {} conforms and a client can rely on no field",
                            follow=False,
                        )


@_check
def _unused_schemes(spec: _Spec) -> None:
    schemes = (spec.data.get("components") or {}).get("securitySchemes") or {}
    used: set[str] = set()
    for req in spec.data.get("security") or []:
        used.update(req or {})
    for op in spec.contract.operations:
        for req in op.definition.get("security") or []:
            used.update(req or {})
    for name in schemes:
        if name not in used:
            spec.add(
                "security-scheme-unused",
                ("components", "securitySchemes", name),
                f"security scheme {name!r} is defined but no operation requires it",
            )


# -- putting it together ----------------------------------------------------------------


def _scenario_findings(contract: Contract, scenarios: Path) -> list[Finding]:
    try:
        loaded = load_scenarios(scenarios)
    except ScenariosError as exc:
        return [
            Finding(
                "scenarios-invalid",
                "error",
                str(scenarios),
                exc.line or 1,
                exc.column or 1,
                exc.message,
            )
        ]
    object.__setattr__(contract, "scenarios", loaded)
    lines = loaded.source.text.splitlines()
    out = []
    for problem in check_scenarios(contract):
        line = problem.line or 1
        text = lines[line - 1] if 0 < line <= len(lines) else ""
        col = len(text) - len(text.lstrip()) + 1
        out.append(
            Finding(
                "scenario-unknown-reference", "error", str(scenarios), line, col, problem.message
            )
        )
    return out


def lint_spec(path: Path | str, scenarios: Path | str | None = None) -> list[Finding]:
    """Every finding for one spec and its scenarios file (`<id>.scenarios.yaml` beside it).

    Raises `UsageError` only when the file does not exist; anything wrong inside it is a
    finding.
    """
    path = Path(path)
    if not path.is_file():
        raise UsageError("file not found", file=path)
    try:
        source = load_source(path, SpecError)
    except SpecError as exc:
        return [
            Finding(
                "spec-unreadable", "error", str(path), exc.line or 1, exc.column or 1, exc.message
            )
        ]
    data = source.data
    version = data.get("openapi") if isinstance(data, Mapping) else None
    if not isinstance(version, str) or not version.startswith(("3.0", "3.1")):
        found = f"version {version!r}" if version else "no 'openapi' field"
        if isinstance(data, Mapping) and "swagger" in data:
            found = f"Swagger {data['swagger']}"
        return [
            Finding(
                "oas-invalid",
                "error",
                str(path),
                1,
                1,
                f"not an OpenAPI 3.0 or 3.1 document ({found})",
            )
        ]
    findings = _oas_findings(source) + _ref_findings(source)
    resolved: Mapping[str, Any]
    if not findings and has_external_refs(data):
        try:
            resolved = resolve(source, validate=False)
        except SpecError:
            resolved = inline_local_refs(_without_external_refs(data))
    else:
        resolved = inline_local_refs(_without_external_refs(data))
    contract = Contract(api_id=path.name.split(".")[0], path=path, source=source, resolved=resolved)
    spec = _Spec(source, resolved, contract, findings)
    structurally_sound = not any(f.rule == "oas-invalid" for f in findings)
    for check in _CHECKS:
        if structurally_sound or check is _examples:
            try:
                check(spec)
            except (AttributeError, KeyError, TypeError):
                # a rule tripping over a malformed node: the oas-invalid findings say why
                if structurally_sound:
                    raise
    scenario_path = (
        Path(scenarios) if scenarios else path.with_name(f"{contract.api_id}.scenarios.yaml")
    )
    if (scenarios or scenario_path.is_file()) and structurally_sound:
        spec.findings.extend(_scenario_findings(contract, scenario_path))
    return sorted(spec.findings, key=lambda f: (f.file, f.line, f.col, f.rule))


def lint_specs(specs: Sequence[str] = (), specs_dir: Path | None = None) -> list[Finding]:
    """Lint the named specs (API ids or files), or every spec in `specs_dir`."""
    paths = [resolve_spec_argument(s, specs_dir) for s in specs] if specs else find_specs(specs_dir)
    findings: list[Finding] = []
    for path in paths:
        findings.extend(lint_spec(path))
    return findings


def finding_as_dict(finding: Finding) -> dict[str, Any]:
    """A finding as JSON data."""
    return {
        "file": finding.file,
        "line": finding.line,
        "col": finding.col,
        "severity": finding.severity,
        "rule": finding.rule,
        "message": finding.message,
        "path": finding.path,
    }
