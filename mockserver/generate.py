"""Generate: data valid against a schema, realistic for its field, reproducible by seed.

Used when a response has no documented example and for `Prefer: dynamic=true`. Faker
gives realistic values by format (uuid, date-time, email, uri, ...) and by field name
(`email`, `user_id`, `name`, ...); `pattern` is honoured by sampling the regex itself.
"""

from __future__ import annotations

import random
import re
import string
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from faker import Faker


__all__ = ["Generator"]

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


def sample_regex(pattern: str, rng: random.Random, max_repeat: int = 8) -> str:
    """A string `re.search(pattern, s)` accepts (anchors and common constructs)."""

    def emit(parsed: Any) -> str:
        out = []
        for op, arg in parsed:
            if op is sre_constants.LITERAL:
                out.append(chr(arg))
            elif op is sre_constants.ANY:
                out.append(rng.choice(_PRINTABLE))
            elif op is sre_constants.IN:
                out.append(from_class(arg))
            elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
                low, high, sub = arg
                high = min(high, low + max_repeat) if high != sre_constants.MAXREPEAT else low + 3
                out.extend(emit(sub) for _ in range(rng.randint(low, max(low, high))))
            elif op is sre_constants.SUBPATTERN:
                out.append(emit(arg[-1]))
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
                chars.append(chr(arg))
            elif op is sre_constants.RANGE:
                chars.extend(chr(c) for c in range(arg[0], min(arg[1], arg[0] + 200) + 1))
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
    "email": lambda f: f.email(),
    "uri": lambda f: f.url(),
    "url": lambda f: f.url(),
    "hostname": lambda f: f.hostname(),
    "ipv4": lambda f: f.ipv4(),
    "ipv6": lambda f: f.ipv6(),
}


class Generator:
    """Schema → value. One per server; `seed` makes every run produce the same sequence."""

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self._faker: Faker | None = None

    @property
    def faker(self) -> Faker:
        # Imported on first use: most mocks answer from examples and never need it.
        if self._faker is None:
            from faker import Faker

            self._faker = Faker()
            if self.seed is not None:
                self._faker.seed_instance(self.seed)
        return self._faker

    def value(self, schema: Mapping[str, Any], name: str = "", depth: int = 0) -> Any:
        if "enum" in schema:
            return self.rng.choice(list(schema["enum"]))
        if "allOf" in schema:
            merged: dict[str, Any] = {}
            for sub in schema["allOf"]:
                for key, val in sub.items():
                    if key in ("properties",) and key in merged:
                        merged[key] = {**merged[key], **val}
                    elif key == "required" and key in merged:
                        merged[key] = list({*merged[key], *val})
                    else:
                        merged[key] = val
            return self.value(merged, name, depth)
        for key in ("oneOf", "anyOf"):
            if key in schema:
                return self.value(schema[key][0], name, depth)
        kind = schema.get("type")
        if kind is None:
            kind = "object" if "properties" in schema else "string"
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "string")
        if kind == "object":
            return self._object(schema, depth)
        if kind == "array":
            items = schema.get("items") or {}
            low = int(schema.get("minItems", 1))
            high = max(low, min(int(schema.get("maxItems", 3)), low + 3))
            return [self.value(items, name, depth + 1) for _ in range(self.rng.randint(low, high))]
        if kind == "boolean":
            return self.rng.random() < 0.5
        if kind in ("integer", "number"):
            return self._number(schema, kind)
        return self._string(schema, name)

    def _object(self, schema: Mapping[str, Any], depth: int) -> dict[str, Any]:
        props: Mapping[str, Any] = schema.get("properties") or {}
        required = set(schema.get("required") or ())
        out: dict[str, Any] = {}
        for prop, sub in props.items():
            if sub.get("writeOnly") is True:
                continue  # a response never carries a client's field
            if prop in required or depth < 3:
                if sub.get("nullable") and prop not in required:
                    continue
                out[prop] = self.value(sub, prop, depth + 1)
        return out

    def _number(self, schema: Mapping[str, Any], kind: str) -> int | float:
        low = schema.get("minimum", 0)
        high = schema.get("maximum", max(low, 0) + 1000)
        if schema.get("exclusiveMinimum") is True:
            low += 1
        if schema.get("exclusiveMaximum") is True:
            high -= 1
        if kind == "integer":
            return self.rng.randint(int(low), int(high))
        return round(self.rng.uniform(float(low), float(high)), 2)

    def _string(self, schema: Mapping[str, Any], name: str) -> str:
        fmt = str(schema.get("format", ""))
        if fmt in _BY_FORMAT:
            return str(_BY_FORMAT[fmt](self.faker))
        if "pattern" in schema:
            return sample_regex(schema["pattern"], self.rng)
        for rx, make in _BY_NAME:
            if name and rx.search(name):
                text = str(make(self.faker))
                break
        else:
            text = self.faker.word()
        low = int(schema.get("minLength", 0))
        high = schema.get("maxLength")
        if len(text) < low:
            text += "x" * (low - len(text))
        if high is not None:
            text = text[: int(high)]
        return text
