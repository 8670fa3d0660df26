"""Generate: data valid against a schema, realistic for its field, reproducible by seed.

Used when a response has no documented example, for `Prefer: dynamic=true`, and in place
of a documented example its own schema refuses. Faker gives realistic values by format
(uuid, date-time, email, uri, ...) and by field name (`email`, `user_id`, `name`, ...);
`pattern` is honoured by sampling the regex itself.

What keeps the value valid:
- `allOf` is merged into one schema (properties per name, `required` united, bounds
  narrowed, `enum`s intersected); `oneOf`/`anyOf` pick a branch, merged with the
  schema's own keywords; a `oneOf` value that another branch also accepts is drawn again
  (a few times: a value for branch A is always tried without A's optional fields first);
  `discriminator` sets its property to the branch's mapping key (OpenAPI validators check
  the branch the key names; plain JSON Schema validators, such as Schemathesis', still
  want one branch only: both readings are met where the schema allows); `not` is retried.
  A branch that fixes the property to a value other than its tag (`type: {enum: [track]}`
  under the implicit tag `TrackObject`) is drawn only when no other branch can carry its
  tag; when none can, no value meets both readings: an optional property of that schema
  is left out, an array of it is as short as `minItems` allows.
- Recursion is depth-bounded: below `OPTIONAL_DEPTH` only required fields are filled and
  arrays are as short as `minItems` allows; `$ref`s are followed in `document` when given.
- Strings never hold a lone surrogate (UTF-8 cannot encode one): regex classes that
  include the surrogate range draw around it.
"""

from __future__ import annotations

import base64
import json
import math
import random
import re
import string
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from contracts.catalog import pointer

if TYPE_CHECKING:
    from faker import Faker


__all__ = ["Generator", "sample_regex"]

# The regex parser is private but stable since 3.11 (it was the public sre_parse before).
from re import _constants as sre_constants  # type: ignore[attr-defined,unused-ignore]
from re import _parser as sre_parse  # type: ignore[attr-defined,unused-ignore]

_CATEGORY = {
    sre_constants.CATEGORY_DIGIT: string.digits,
    sre_constants.CATEGORY_WORD: string.ascii_letters + string.digits + "_",
    sre_constants.CATEGORY_SPACE: " ",
    sre_constants.CATEGORY_NOT_DIGIT: string.ascii_letters,
    sre_constants.CATEGORY_NOT_WORD: "-.",
    sre_constants.CATEGORY_NOT_SPACE: string.ascii_letters,
}
_PRINTABLE = string.ascii_letters + string.digits
_SURROGATES = range(0xD800, 0xE000)


def _is_surrogate(code: int) -> bool:
    return code in _SURROGATES


def sample_regex(pattern: str, rng: random.Random, max_repeat: int = 8) -> str:
    """A string `re.search(pattern, s)` accepts (anchors and common constructs).

    Never a lone surrogate: a class that includes the surrogate range is drawn from its
    other characters, and a literal surrogate is left out (no encodable string has one).
    Raises `re.error` for a pattern Python cannot parse.
    """
    groups: dict[int, str] = {}

    def emit(parsed: Any) -> str:
        out = []
        for op, arg in parsed:
            if op is sre_constants.LITERAL:
                if not _is_surrogate(arg):
                    out.append(chr(arg))
            elif op is sre_constants.NOT_LITERAL:
                out.append(rng.choice([c for c in _PRINTABLE if ord(c) != arg]))
            elif op is sre_constants.ANY:
                out.append(rng.choice(_PRINTABLE))
            elif op is sre_constants.IN:
                out.append(from_class(arg))
            elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
                low, high, sub = arg
                high = min(high, low + max_repeat) if high != sre_constants.MAXREPEAT else low + 3
                out.extend(emit(sub) for _ in range(rng.randint(low, max(low, high))))
            elif op is sre_constants.SUBPATTERN:
                text = emit(arg[-1])
                if arg[0] is not None:
                    groups[arg[0]] = text
                out.append(text)
            elif op is sre_constants.GROUPREF:
                out.append(groups.get(arg, ""))
            elif op is sre_constants.BRANCH:
                out.append(emit(rng.choice(arg[1])))
            elif op is sre_constants.CATEGORY:
                out.append(rng.choice(_CATEGORY.get(arg, _PRINTABLE)))
        return "".join(out)

    def from_class(items: Any) -> str:
        negate = any(op is sre_constants.NEGATE for op, _ in items)
        chars: list[str] = []
        for op, arg in items:
            if op is sre_constants.LITERAL:
                if not _is_surrogate(arg):
                    chars.append(chr(arg))
            elif op is sre_constants.RANGE:
                low, high = arg
                chars.extend(
                    chr(c) for c in range(low, min(high, low + 200) + 1) if not _is_surrogate(c)
                )
                if high >= 0xE000 and low < 0xE000 and len(chars) < 10:
                    # a range that starts in or before the surrogates: draw above them too
                    chars.extend(chr(c) for c in range(0xE000, min(high, 0xE000 + 50) + 1))
            elif op is sre_constants.CATEGORY:
                chars.extend(_CATEGORY.get(arg, _PRINTABLE))
        if negate:
            pool = [c for c in _PRINTABLE if c not in chars]
            return rng.choice(pool or ["_"])
        return rng.choice(chars or list(_PRINTABLE))

    return emit(sre_parse.parse(pattern))


# A fixed window, not "up to now": Faker's default range moves with the clock, and --seed
# must give the same data on every run.
_WINDOW = (datetime(2024, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC))


def _timestamp(f: Faker) -> str:
    moment = f.date_time_between(start_date=_WINDOW[0], end_date=_WINDOW[1], tzinfo=UTC)
    return moment.isoformat().replace("+00:00", "Z")


_BY_NAME: tuple[tuple[re.Pattern[str], Callable[[Faker], Any]], ...] = (
    (re.compile(r"e-?mail", re.I), lambda f: f.email()),
    (re.compile(r"(^|_)(first_?name)$", re.I), lambda f: f.first_name()),
    (re.compile(r"(^|_)(last_?name|surname)$", re.I), lambda f: f.last_name()),
    (re.compile(r"(^|_)name$", re.I), lambda f: f.name()),
    (re.compile(r"user_?id$", re.I), lambda f: f"user_{f.numerify('###')}"),
    (re.compile(r"(^|_)(url|uri|link|doc_url)$", re.I), lambda f: f.url()),
    (re.compile(r"phone", re.I), lambda f: f.phone_number()),
    (re.compile(r"city$", re.I), lambda f: f.city()),
    (re.compile(r"country$", re.I), lambda f: f.country_code()),
    (re.compile(r"(street|address)$", re.I), lambda f: f.street_address()),
    (re.compile(r"company$", re.I), lambda f: f.company()),
    (re.compile(r"(message|description|summary)$", re.I), lambda f: f.sentence()),
    (re.compile(r"(_at|timestamp)$", re.I), lambda f: _timestamp(f)),
)
_BY_FORMAT: Mapping[str, Callable[[Faker], Any]] = {
    "uuid": lambda f: f.uuid4(),
    "date-time": lambda f: _timestamp(f),
    "date": lambda f: _timestamp(f)[:10],
    "time": lambda f: _timestamp(f)[11:],
    "email": lambda f: f.email(),
    "idn-email": lambda f: f.email(),
    "uri": lambda f: f.url(),
    "url": lambda f: f.url(),
    "iri": lambda f: f.url(),
    "uri-reference": lambda f: f.uri_path(),
    "iri-reference": lambda f: f.uri_path(),
    "uri-template": lambda f: f.url() + "{id}",
    "hostname": lambda f: f.hostname(),
    "idn-hostname": lambda f: f.hostname(),
    "ipv4": lambda f: f.ipv4(),
    "ipv6": lambda f: f.ipv6(),
    "byte": lambda f: base64.b64encode(f.binary(length=12)).decode("ascii"),
    "binary": lambda f: f.lexify("????????"),
    "password": lambda f: f.password(length=12),
    "regex": lambda f: "^[a-z]+$",
    "json-pointer": lambda f: "/" + f.word(),
    "duration": lambda f: f"P{f.random_int(1, 30)}D",
}
_INTEGER_BOUNDS = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}

OPTIONAL_DEPTH = 3  # below this many objects/arrays, only required fields are filled
_GIVE_UP_DEPTH = 40  # a schema that requires itself forever: stop with null
_ATTEMPTS = 8  # draws of a oneOf/not value before settling for the last one

_NARROW_UP = ("minimum", "minLength", "minItems", "minProperties")
_NARROW_DOWN = ("maximum", "maxLength", "maxItems", "maxProperties")
_KINDS = ("object", "array", "string", "integer", "number", "boolean", "null")


def _types(schema: Mapping[str, Any]) -> list[str] | None:
    """The schema's `type` as a list (None: any type)."""
    kind = schema.get("type")
    if kind is None:
        return None
    kinds = [kind] if isinstance(kind, str) else list(kind)
    if schema.get("nullable") is True and "null" not in kinds:
        kinds.append("null")
    return kinds


def _intersect_types(a: list[str] | None, b: list[str] | None) -> list[str] | None:
    if a is None or b is None:
        return b if a is None else a
    out = [k for k in a if k in b or (k == "integer" and "number" in b)]
    out += [k for k in b if k == "integer" and "number" in a and k not in out]
    return out or a


def merge(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    """One schema that asks what both ask (as far as keywords can be combined); new dicts
    only: resolved documents share their nodes."""
    out = dict(a)
    for key, value in b.items():
        if key not in out:
            out[key] = value
        elif key == "properties":
            props = dict(out[key])
            for name, sub in value.items():
                props[name] = {"allOf": [props[name], sub]} if name in props else sub
            out[key] = props
        elif key == "required":
            out[key] = list(dict.fromkeys([*out[key], *value]))
        elif key == "type":
            kinds = _intersect_types(_types({"type": out[key]}), _types({"type": value}))
            out[key] = kinds[0] if kinds and len(kinds) == 1 else kinds
        elif key in _NARROW_UP:
            out[key] = max(out[key], value)
        elif key in _NARROW_DOWN:
            out[key] = min(out[key], value)
        elif key == "enum":
            both = [v for v in out[key] if v in value]
            out[key] = both or out[key]
        elif key in ("exclusiveMinimum", "exclusiveMaximum"):
            if isinstance(value, bool) or isinstance(out[key], bool):
                out[key] = bool(out[key]) or bool(value)
            else:
                out[key] = (
                    max(out[key], value) if key == "exclusiveMinimum" else min(out[key], value)
                )
        elif key in ("allOf", "oneOf", "anyOf"):
            out["allOf"] = [*out.get("allOf", []), {key: value}]
        elif key == "nullable":
            out[key] = bool(out[key]) and bool(value)
        elif key == "additionalProperties" and value is False:
            out[key] = False
    return out


def _has_ref(node: Any) -> bool:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):
            if "$ref" in item:
                return True
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _multiple_of_ok(value: float, step: float) -> bool:
    """jsonschema's own `multipleOf` test."""
    if isinstance(step, float):
        quotient = value / step
        return math.isfinite(quotient) and int(quotient) == quotient
    return not value % step


def _bounds(schema: Mapping[str, Any], kind: str) -> tuple[float, float, bool, bool]:
    """The range a number may take: low, high, and whether each end is excluded
    (`exclusive*` as booleans in 3.0, as numbers in 3.1; `int32`/`int64` bounds)."""
    low: float | None = schema.get("minimum")
    high: float | None = schema.get("maximum")
    low_open = high_open = False
    ex_min, ex_max = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    if isinstance(ex_min, bool):
        low_open = ex_min and low is not None
    elif isinstance(ex_min, (int, float)) and (low is None or ex_min >= low):
        low, low_open = ex_min, True
    if isinstance(ex_max, bool):
        high_open = ex_max and high is not None
    elif isinstance(ex_max, (int, float)) and (high is None or ex_max <= high):
        high, high_open = ex_max, True
    if low is None:
        low = 0 if high is None or high >= 0 else high - 1000
    if high is None:
        high = max(low, 0) + 1000
    if kind == "integer" and schema.get("format") in _INTEGER_BOUNDS:
        floor, ceiling = _INTEGER_BOUNDS[str(schema["format"])]
        low, high = max(low, floor), min(high, ceiling)
    return low, high, low_open, high_open


def _within(value: float, low: float, high: float, open_: tuple[bool, bool]) -> bool:
    return (low < value or (not open_[0] and value == low)) and (
        value < high or (not open_[1] and value == high)
    )


class _Draw:
    """One value's generation: the document for `$ref`s, the dialect, the checks for
    `oneOf` siblings and `not` that the value must fail."""

    def __init__(self, generator: Generator, document: Mapping[str, Any] | None, v31: bool):
        self.gen = generator
        self.rng = generator.rng
        self.document = document
        self.v31 = v31
        self.minimal = False  # draw only required fields (a retry of a oneOf branch)
        self.chosen: list[tuple[int, int]] = []  # (id of the branches, index) this attempt
        self.failed: set[tuple[int, int]] = set()  # choices of attempts that failed

    # -- schemas ---------------------------------------------------------------------

    def deref(self, schema: Any, seen: int = 0) -> Mapping[str, Any]:
        if schema is True or not isinstance(schema, Mapping):
            return {}
        ref = schema.get("$ref")
        if not isinstance(ref, str) or seen > 20:
            return schema
        if not ref.startswith("#"):
            return {}  # another file's: the catalog inlines those before we get here
        target = self.deref(pointer(self.document or {}, ref), seen + 1)
        siblings = {k: v for k, v in schema.items() if k != "$ref"}
        if not siblings or not self.v31:
            return target
        return merge(target, siblings)

    def flatten(self, schema: Any, avoid: list[Mapping[str, Any]], depth: int) -> dict[str, Any]:
        """`schema` without `allOf`/`oneOf`/`anyOf`: merged, a branch chosen; what the value
        must not match (the other `oneOf` branches, `not`) goes to `avoid`. `depth` counts
        nested combinators (a schema that is its own `allOf` member ends as `{}`)."""
        if depth > _GIVE_UP_DEPTH:
            return {}
        node = dict(self.deref(schema))
        parts = node.pop("allOf", None) or []
        choices = [(key, node.pop(key)) for key in ("oneOf", "anyOf") if key in node]
        if "not" in node:
            avoid.append(node["not"])
        discriminator = node.get("discriminator")
        for part in parts:
            node = merge(node, self.flatten(part, avoid, depth + 1))
        for key, branches in choices:
            if not branches:
                continue
            indexes = list(range(len(branches)))
            tags: dict[int, str] = {}
            prop = discriminator.get("propertyName") if isinstance(discriminator, Mapping) else None
            if isinstance(discriminator, Mapping) and isinstance(prop, str):
                # OpenAPI validators check only the branch the tag names: a branch
                # without a tag cannot be valid
                for i in indexes:
                    found = self.discriminator_value(branches[i], discriminator)
                    if found is not None:
                        tags[i] = found
                carriers = [i for i in tags if self.carries(branches[i], prop, tags[i])]
                indexes = carriers or list(tags) or indexes
            fresh = [i for i in indexes if (id(branches), i) not in self.failed]
            index = self.rng.choice(fresh or indexes)
            self.chosen.append((id(branches), index))
            branch = self.flatten(branches[index], avoid, depth + 1)
            if index in tags:
                branch = self.tag(branch, str(prop), tags[index])
            if key == "oneOf":  # JSON Schema's reading, which ignores the discriminator
                avoid.extend(b for i, b in enumerate(branches) if i != index)
            node = merge(node, branch)
        return node

    def tag(self, branch: dict[str, Any], prop: str, value: str) -> dict[str, Any]:
        """`branch` with the discriminator's property fixed to the branch's tag."""
        current = self.deref((branch.get("properties") or {}).get(prop, {}))
        allowed = current.get("enum", [current["const"]] if "const" in current else None)
        if allowed is not None and value not in allowed:
            return branch  # the branch names its own value: its schema decides
        return merge(branch, {"properties": {prop: {"enum": [value]}}, "required": [prop]})

    def discriminator_value(self, written: Any, discriminator: Mapping[str, Any]) -> str | None:
        ref = written.get("$ref") if isinstance(written, Mapping) else None
        schemas = ((self.document or {}).get("components") or {}).get("schemas") or {}
        target = self.deref(written)
        for key, mapped in (discriminator.get("mapping") or {}).items():
            if not isinstance(mapped, str):
                continue
            full = mapped if mapped.startswith("#") else f"#/components/schemas/{mapped}"
            if ref is not None and ref == full:
                return str(key)
            if ref is None and pointer(self.document or {}, full) in (target, written):
                return str(key)
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            return ref.rsplit("/", 1)[-1]
        for name, candidate in schemas.items():
            if candidate is written or candidate == written:
                return str(name)
        return None

    def untaggable(self, schema: Any) -> bool:
        """Whether `schema` is a `oneOf`/`anyOf` whose discriminator no branch can carry:
        every branch fixes the property (`enum`/`const`) to values other than its tag."""
        key = id(schema)
        known = self.gen.untaggable.get(key)
        if known is None:
            known = self.gen.untaggable[key] = self._untaggable(schema)
            self.gen.kept.append(schema)
        return known

    def _untaggable(self, schema: Any) -> bool:
        node = self.deref(schema)
        discriminator = node.get("discriminator")
        if not isinstance(discriminator, Mapping):
            return False
        prop = discriminator.get("propertyName")
        branches = node.get("oneOf") or node.get("anyOf")
        if not isinstance(prop, str) or not isinstance(branches, list) or not branches:
            return False
        for branch in branches:
            tag = self.discriminator_value(branch, discriminator)
            if tag is None or self.carries(branch, prop, tag):
                return False
        return True

    def carries(self, branch: Any, prop: str, tag: str) -> bool:
        """Whether `branch` allows its discriminator tag as the value of `prop`."""
        fixed = self.fixed_values(branch, prop, 0)
        return fixed is None or tag in fixed

    def fixed_values(self, schema: Any, prop: str, depth: int) -> list[Any] | None:
        """The values `schema` (with its `allOf` parts) allows for `prop`, when an `enum`
        or a `const` fixes them; None when it does not."""
        if depth > _GIVE_UP_DEPTH:
            return None
        node = self.deref(schema)
        own = self.deref((node.get("properties") or {}).get(prop))
        if "const" in own:
            return [own["const"]]
        if isinstance(own.get("enum"), list):
            return list(own["enum"])
        for part in node.get("allOf") or ():
            found = self.fixed_values(part, prop, depth + 1)
            if found is not None:
                return found
        return None

    # -- values ----------------------------------------------------------------------

    def value(self, schema: Any, name: str, depth: int) -> Any:
        if schema is False:
            return None
        if depth > _GIVE_UP_DEPTH:
            return None
        last: Any = None
        for attempt in range(_ATTEMPTS):
            avoid: list[Mapping[str, Any]] = []
            picked: list[tuple[int, int]] = []
            self.chosen = picked
            flat = self.flatten(schema, avoid, 0)
            outer, self.minimal = self.minimal, self.minimal or (attempt % 2 == 0 and bool(avoid))
            try:
                last = self.plain(flat, name, depth)
            finally:
                self.minimal = outer
            if not avoid or not any(
                self.gen.accepts(a, last, self.document, self.v31) for a in avoid
            ):
                return last
            self.failed.update(picked)
        return last

    def plain(self, schema: Mapping[str, Any], name: str, depth: int) -> Any:
        if "const" in schema:
            return schema["const"]
        examples = schema.get("examples")  # 3.1: a schema's own examples, when scalar
        if (
            self.v31
            and isinstance(examples, list)
            and examples
            and not isinstance(examples[0], dict | list)
            and self.gen.accepts(schema, examples[0], self.document, self.v31)
        ):
            return examples[0]
        if "enum" in schema:
            values = list(schema["enum"])
            pool = [v for v in values if v is not None] or values
            return self.rng.choice(pool) if pool else None
        kinds = _types(schema)
        kind = self.kind(schema, kinds)
        if kind == "null":
            return None
        if kind == "object":
            return self.object(schema, depth)
        if kind == "array":
            return self.array(schema, name, depth)
        if kind == "boolean":
            return self.rng.random() < 0.5
        if kind in ("integer", "number"):
            return self.number(schema, kind)
        return self.string(schema, name)

    def kind(self, schema: Mapping[str, Any], kinds: list[str] | None) -> str:
        excluded = _types(self.deref(schema["not"])) or [] if "not" in schema else []
        if kinds is not None:
            usable = [k for k in kinds if k in _KINDS and k != "null" and k not in excluded]
            usable = usable or [k for k in kinds if k in _KINDS and k != "null"]
            return usable[0] if usable else ("null" if "null" in kinds else "string")
        if excluded:
            return next(k for k in ("string", "integer", "object", "boolean") if k not in excluded)
        if any(
            k in schema
            for k in (
                "properties",
                "required",
                "additionalProperties",
                "minProperties",
                "patternProperties",
            )
        ):
            return "object"
        if any(k in schema for k in ("items", "prefixItems", "minItems", "maxItems")):
            return "array"
        if any(
            k in schema
            for k in ("minimum", "maximum", "multipleOf", "exclusiveMinimum", "exclusiveMaximum")
        ):
            return "integer" if str(schema.get("format", "")).startswith("int") else "number"
        return "string"

    def object(self, schema: Mapping[str, Any], depth: int) -> dict[str, Any]:
        props: Mapping[str, Any] = schema.get("properties") or {}
        required = list(schema.get("required") or ())
        most = schema.get("maxProperties")
        fill_optional = depth < OPTIONAL_DEPTH and not self.minimal
        out: dict[str, Any] = {}
        for prop in required:
            sub = props.get(prop, self.extra_schema(schema, prop))
            if not self.v31 and self.deref(sub).get("writeOnly") is True:
                continue  # OpenAPI 3.0: a required writeOnly field is required in requests only
            out[prop] = self.value(sub, prop, depth + 1)
        for prop, sub in props.items():
            if prop in out or not fill_optional or (most is not None and len(out) >= most):
                continue
            resolved = self.deref(sub)
            if resolved.get("nullable") or resolved.get("writeOnly") or self.untaggable(sub):
                continue
            out[prop] = self.value(sub, prop, depth + 1)
        least = int(schema.get("minProperties", 0))
        for prop, sub in props.items():  # minProperties: declared fields first
            if len(out) >= least:
                break
            if prop not in out:
                out[prop] = self.value(sub, prop, depth + 1)
        extra = schema.get("additionalProperties", True)
        patterns: Mapping[str, Any] = schema.get("patternProperties") or {}
        n = 0
        wants_map = not props and isinstance(extra, Mapping) and fill_optional
        while (len(out) < least or (wants_map and n == 0)) and n < least + 3:
            n += 1
            if patterns:
                pattern, sub = next(iter(patterns.items()))
                key = self.key(pattern, out)
                out[key] = self.value(sub, key, depth + 1)
            elif extra is not False:
                key = f"additionalProp{n}"
                if key not in out:
                    out[key] = self.value(
                        extra if isinstance(extra, Mapping) else {}, key, depth + 1
                    )
            else:
                break
        return out

    def extra_schema(self, schema: Mapping[str, Any], prop: str) -> Any:
        """The schema a required but undeclared property is checked against."""
        for pattern, sub in (schema.get("patternProperties") or {}).items():
            if re.search(pattern, prop):
                return sub
        extra = schema.get("additionalProperties", True)
        return extra if isinstance(extra, Mapping) else {}

    def key(self, pattern: str, taken: Mapping[str, Any]) -> str:
        for _ in range(5):
            try:
                key = sample_regex(pattern, self.rng)
            except re.error:
                break
            if key not in taken:
                return key
        return f"key{len(taken)}"

    def array(self, schema: Mapping[str, Any], name: str, depth: int) -> list[Any]:
        prefix: Sequence[Any] = schema.get("prefixItems") or ()
        items = schema.get("items", {})
        if isinstance(items, list):  # draft-4 tuple form
            prefix, items = items, schema.get("additionalItems", {})
        low = int(schema.get("minItems", 0))
        high = schema.get("maxItems")
        if items is False:
            high = len(prefix) if high is None else min(int(high), len(prefix))
        if depth < OPTIONAL_DEPTH and not self.minimal and not self.untaggable(items):
            wanted = self.rng.randint(max(low, 1), max(low, 1) + 2)
        else:
            wanted = low
        if prefix and not self.minimal:
            wanted = max(wanted, len(prefix))  # a tuple is read whole: every prefix item
        if high is not None:
            wanted = min(wanted, int(high))
        wanted = max(wanted, low)  # a contradiction (minItems > maxItems): minItems wins
        unique = bool(schema.get("uniqueItems"))
        out: list[Any] = []
        seen: set[str] = set()
        tries = 0
        while len(out) < wanted and tries < wanted * 4 + 8:
            tries += 1
            index = len(out)
            sub = prefix[index] if index < len(prefix) else items
            item = self.value(sub, name, depth + 1)
            if unique:
                mark = json.dumps(item, sort_keys=True, default=str)
                if mark in seen:
                    continue
                seen.add(mark)
            out.append(item)
        if "contains" in schema:
            needed = self.value(schema["contains"], name, depth + 1)
            if needed not in out:
                if high is not None and len(out) >= int(high) and out:
                    out[-1] = needed
                else:
                    out.append(needed)
        return out

    def number(self, schema: Mapping[str, Any], kind: str) -> int | float:
        low, high, low_open, high_open = _bounds(schema, kind)
        step = schema.get("multipleOf")
        if kind == "integer":
            ilow = math.ceil(low) + (1 if low_open and math.ceil(low) == low else 0)
            ihigh = math.floor(high) - (1 if high_open and math.floor(high) == high else 0)
            ihigh = max(ilow, ihigh)
            if step:
                return self.multiple(ilow, ihigh, step, integer=True)
            return self.rng.randint(ilow, ihigh)
        if step:
            return self.multiple(low, high, step, integer=False, open_=(low_open, high_open))
        for _ in range(10):
            value = round(self.rng.uniform(low, high), 2)
            if _within(value, low, high, (low_open, high_open)):
                return value
        return (low + high) / 2

    def multiple(
        self,
        low: float,
        high: float,
        step: float,
        *,
        integer: bool,
        open_: tuple[bool, bool] = (False, False),
    ) -> int | float:
        exact = Decimal(str(step))
        first = math.ceil(Decimal(str(low)) / exact)
        last = math.floor(Decimal(str(high)) / exact)
        candidates = [self.rng.randint(first, max(first, last)) for _ in range(12)]
        candidates += [first, last, 0]
        for k in candidates:
            value: int | float = int(k * exact) if integer else float(k * exact)
            if integer and k * exact != int(k * exact):
                continue
            if isinstance(value, float) and value.is_integer() and isinstance(step, int):
                value = int(value)
            if _within(value, low, high, open_) and _multiple_of_ok(value, step):
                return value
        return int(low) if integer else float(low)

    def string(self, schema: Mapping[str, Any], name: str) -> str:
        fmt = str(schema.get("format", ""))
        low = int(schema.get("minLength", 0))
        high = schema.get("maxLength")
        pattern = schema.get("pattern")
        if isinstance(pattern, str):
            text = ""
            for _ in range(10):
                try:
                    text = sample_regex(pattern, self.rng)
                except re.error:
                    break
                if len(text) >= low and (high is None or len(text) <= int(high)):
                    return text
            if text:
                return text
        faker = self.gen.faker
        if fmt in _BY_FORMAT:
            text = str(_BY_FORMAT[fmt](faker))
            if len(text) >= low and (high is None or len(text) <= int(high)):
                return text
        for rx, make in _BY_NAME:
            if name and rx.search(name):
                text = str(make(faker))
                break
        else:
            text = faker.word()
        if len(text) < low:
            text += "".join(self.rng.choice(string.ascii_lowercase) for _ in range(low - len(text)))
        if high is not None:
            text = text[: int(high)]
        return text


class Generator:
    """Schema → value. One per server; `seed` makes every run produce the same sequence."""

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self._faker: Faker | None = None
        self._checks: dict[tuple[int, bool], Callable[[Any], bool] | None] = {}
        self._checked: list[Mapping[str, Any]] = []  # keeps the ids in `_checks` unique
        self.untaggable: dict[int, bool] = {}  # by id: `_Draw.untaggable`'s verdicts
        self.kept: list[Any] = []  # keeps the ids in `untaggable` unique

    @property
    def faker(self) -> Faker:
        # Imported on first use: most mocks answer from examples and never need it.
        if self._faker is None:
            from faker import Faker

            self._faker = Faker()
            if self.seed is not None:
                self._faker.seed_instance(self.seed)
        return self._faker

    def value(
        self,
        schema: Mapping[str, Any],
        name: str = "",
        depth: int = 0,
        *,
        document: Mapping[str, Any] | None = None,
        openapi_version: str = "3.0",
    ) -> Any:
        """A value `schema` accepts. `document` resolves `$ref`s left in the schema;
        `openapi_version` says how `$ref` siblings are read (ignored in 3.0)."""
        return _Draw(self, document, openapi_version.startswith("3.1")).value(schema, name, depth)

    def accepts(
        self, schema: Mapping[str, Any], value: Any, document: Mapping[str, Any] | None, v31: bool
    ) -> bool:
        """Whether `value` matches `schema` (jsonschema-rs, compiled once per schema); a
        schema it cannot compile counts as not matching."""
        key = (id(schema), v31)
        if key not in self._checks:
            import jsonschema_rs

            full = dict(schema)
            if document is not None and "components" in document and _has_ref(schema):
                # only then: the components of a large document are costly to compile
                full.setdefault("components", document["components"])
            cls = jsonschema_rs.Draft202012Validator if v31 else jsonschema_rs.Draft4Validator
            try:
                self._checks[key] = cls(full).is_valid
            except (jsonschema_rs.ValidationError, ValueError):
                self._checks[key] = None
            self._checked.append(schema)
        check = self._checks[key]
        return bool(check and check(value))
