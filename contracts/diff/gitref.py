"""`diff_against_ref`: every contract in specs/ at a git ref against the working tree."""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from ..catalog import default_specs_dir, find_specs
from ..errors import UsageError
from .documents import diff_files
from .rules import RULES, Change, declare

__all__ = ["diff_against_ref"]


def _git(args: Sequence[str], cwd: Path) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise UsageError("git is not installed") from None
    if done.returncode != 0:
        cause = (done.stderr.strip().splitlines() or ["failed"])[-1]
        raise UsageError(f"git {' '.join(args)}: {cause}")
    return done.stdout


declare(
    "gitref",
    (
        "spec-removed",
        "breaking",
        "a whole contract was removed",
        "Every operation it documented is gone for old clients.",
    ),
    ("spec-added", "info", "a contract was added", "Old clients do not call it."),
)


def diff_against_ref(
    ref: str, specs: Sequence[str] = (), specs_dir: Path | None = None
) -> list[Change]:
    """Diff every contract in `specs_dir` at git `ref` against the working tree.

    `specs` limits the comparison to some API ids or files. A contract present on only
    one side is reported as `spec-added` / `spec-removed`.
    """
    specs_dir = (specs_dir or default_specs_dir()).resolve()
    root = Path(_git(["rev-parse", "--show-toplevel"], specs_dir).strip())
    rel = specs_dir.relative_to(root).as_posix()
    _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], root)
    listed = [
        line
        for line in _git(["ls-tree", "-r", "--name-only", ref, "--", rel], root).splitlines()
        if line
    ]
    wanted = {Path(s).name.split(".")[0] for s in specs}
    changes: list[Change] = []
    with tempfile.TemporaryDirectory(prefix="contracts-base-") as tmp:
        base_dir = Path(tmp) / rel
        for name in listed:
            # every file under specs/ comes along, so that file $refs resolve at the ref too
            target = Path(tmp) / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(_git(["show", f"{ref}:{name}"], root), encoding="utf-8")
        old_specs = (
            {p.name.split(".")[0]: p for p in find_specs(base_dir)} if base_dir.is_dir() else {}
        )
        new_specs = {p.name.split(".")[0]: p for p in find_specs(specs_dir)}
        for api in sorted(set(old_specs) | set(new_specs)):
            if wanted and api not in wanted:
                continue
            shown = f"{rel}/{(new_specs.get(api) or old_specs[api]).name}"
            if api not in new_specs:
                found = [
                    _whole("spec-removed", shown, f"{shown} was removed at {ref}..working tree")
                ]
            elif api not in old_specs:
                found = [_whole("spec-added", shown, f"{shown} is new (not at {ref})")]
            else:
                found = diff_files(old_specs[api], new_specs[api])
            changes.extend(replace(c, spec=shown) for c in found)
    return changes


def _whole(rule: str, shown: str, message: str) -> Change:
    return Change(RULES[rule].level, rule, shown, message, RULES[rule].why)
