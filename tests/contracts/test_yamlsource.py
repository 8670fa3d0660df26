"""Documents are read as YAML 1.2 (the version OpenAPI names), bounded before they are built."""

from __future__ import annotations

import itertools
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from contracts.errors import InputRefusedError, SpecError
from contracts.yamlsource import load_source

CONTRACTS = shutil.which("contracts", path=str(Path(sys.executable).parent)) or "contracts"

CORE_SCHEMA_CASES = [
    ("18:00", "18:00"),  # YAML 1.1: the integer 1080 (base 60)
    ("on", "on"),  # 1.1: True
    ("no", "no"),  # 1.1: False
    ("y", "y"),
    ("0o17", 15),  # 1.1: a string
    ("017", 17),  # 1.1: 15 (octal)
    ("0x1F", 31),
    ("1_000", "1_000"),  # 1.1: 1000
    ("2025-10-31", "2025-10-31"),  # 1.1: a date
    ("1e3", 1000.0),
    ("-12", -12),
    (".inf", float("inf")),
    ("~", None),
    ("True", True),
    ("'3'", "3"),
    ("²", "²"),  # Python's int() would take it
]


@pytest.mark.parametrize(
    ("written", "value"), CORE_SCHEMA_CASES, ids=[c[0] for c in CORE_SCHEMA_CASES]
)
def test_plain_scalars_follow_the_yaml_1_2_core_schema(
    tmp_path: Path, written: str, value: object
) -> None:
    path = tmp_path / "doc.yaml"
    path.write_text(f"value: {written}\n", encoding="utf-8")
    assert load_source(path).data == {"value": value}


def _bomb(path: Path, levels: int = 9) -> Path:
    lines = ["a: &a [" + ",".join(['"lol"'] * 9) + "]"]
    names = "abcdefghijklmnop"
    for prev, name in itertools.pairwise(names[:levels]):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_an_alias_bomb_is_refused_in_one_line_at_the_alias(tmp_path: Path) -> None:
    with pytest.raises(InputRefusedError) as caught:
        load_source(_bomb(tmp_path / "bomb.yaml"), SpecError)
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'bomb.yaml'}:")
    assert "aliases expand to more than" in message
    assert "\n" not in message


def test_a_recursive_alias_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "rec.yaml"
    path.write_text("a: &x\n  b: *x\n", encoding="utf-8")
    with pytest.raises(InputRefusedError, match="recursive alias"):
        load_source(path, SpecError)


def test_modest_anchors_still_load(tmp_path: Path) -> None:
    path = tmp_path / "anchors.yaml"
    path.write_text("a: &x {type: string}\nb: *x\nc: [*x, *x]\n", encoding="utf-8")
    data = load_source(path).data
    assert data["b"] == data["c"][1] == {"type": "string"}


@pytest.mark.parametrize("target", ["/dev/zero", "/tmp"], ids=["device", "directory"])
def test_only_regular_files_are_read(target: str) -> None:
    with pytest.raises(InputRefusedError, match="not a regular file"):
        load_source(target, SpecError)


def test_the_bomb_cannot_take_the_memory_of_the_process(tmp_path: Path) -> None:
    """Under a 1 GiB address-space limit, lint of the bomb ends quickly with exit 2."""
    bomb = _bomb(tmp_path / "bomb.yaml")
    limit = 1024**3

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    done = subprocess.run(
        [CONTRACTS, "lint", str(bomb)],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=cap,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "aliases expand" in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
