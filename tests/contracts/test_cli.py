"""`contracts lint` and `contracts diff` end to end: the installed console script, exit codes,
output formats, one-line errors, `--base` over a real git history, and the CI files."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, SPECS

CONTRACTS = shutil.which("contracts", path=str(Path(sys.executable).parent)) or "contracts"


def run(
    *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CONTRACTS, *args], cwd=cwd, capture_output=True, text=True, timeout=120, env=env
    )


def assert_one_line_error(done: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for needle in needles:
        assert needle in lines[0]


def git(*args: str, cwd: Path) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True, env=env
    ).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository holding a copy of this project's tracked files, committed on main."""
    root = tmp_path / "repo"
    for name in git("ls-files", cwd=ROOT).splitlines():
        source = ROOT / name
        if source.is_file():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, root / name)
    git("init", "-q", "-b", "main", cwd=root)
    git("add", "-A", cwd=root)
    git("commit", "-qm", "base", cwd=root)
    git("update-ref", "refs/remotes/origin/main", "HEAD", cwd=root)  # what checkout fetches
    return root


# -- lint ---------------------------------------------------------------------------------


def test_lint_default_is_every_spec_and_passes() -> None:
    done = run("lint")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "0 errors, 0 warnings in 5 files linted"


def test_lint_upstream_reports_warnings_but_passes() -> None:
    done = run("lint", "specs/upstream/quiva.yaml")
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert re.fullmatch(
        r"specs/upstream/quiva\.yaml:122:7: warning security-401-missing: .*", lines[0]
    )
    assert lines[-1] == "0 errors, 4 warnings in 1 file linted"


def test_lint_json(tmp_path: Path) -> None:
    done = run("lint", "specs/upstream/pharen.yaml", "--format", "json")
    assert done.returncode == 0
    report = json.loads(done.stdout)
    assert report["summary"] == {"files": 1, "errors": 0, "warnings": 2}
    assert {f["rule"] for f in report["findings"]} == {"response-requires-nothing"}
    assert report["findings"][0]["line"] == 85


def test_lint_error_exits_1_with_its_line(tmp_path: Path) -> None:
    text = (SPECS / "wiv.yaml").read_text()
    bad = tmp_path / "wiv.yaml"
    bad.write_text(text.replace("'#/components/schemas/", "'#/components/schemaz/", 1))
    done = run("lint", str(bad))
    assert done.returncode == 1
    assert re.search(rf"^{re.escape(str(bad))}:\d+:\d+: error ref-unresolved: ", done.stdout, re.M)
    assert done.stdout.splitlines()[-1].startswith("1 error, ")


def test_lint_missing_file_is_one_line() -> None:
    assert_one_line_error(run("lint", "nope.yaml"), "nope.yaml", "file not found")


def test_lint_unknown_api_is_one_line() -> None:
    assert_one_line_error(run("lint", "nope"), "unknown API 'nope'")


# -- diff ---------------------------------------------------------------------------------


@pytest.fixture
def breaking_pair(tmp_path: Path) -> tuple[Path, Path]:
    old = SPECS / "quiva.yaml"
    new = tmp_path / "quiva.yaml"
    data = yaml.safe_load(old.read_text())
    op = data["paths"]["/hub/workflows/{collection_topic}/{flow_topic}/run"]["post"]
    op["parameters"] = [
        {"name": "team", "in": "query", "required": True, "schema": {"type": "string"}}
    ]
    op["deprecated"] = True
    data["components"]["schemas"]["RunWorkflowRequest"]["properties"]["enable_log"]["default"] = (
        True
    )
    new.write_text(yaml.safe_dump(data, sort_keys=False))
    return old, new


def test_diff_text_exit_1_on_breaking(breaking_pair: tuple[Path, Path]) -> None:
    done = run("diff", *map(str, breaking_pair))
    assert done.returncode == 1
    out = done.stdout.splitlines()
    assert out[0] == (
        "breaking request-parameter-added-required: paths./hub/workflows/{collection_topic}"
        "/{flow_topic}/run.post.parameters.query.team"
    )
    assert out[1] == "    required query parameter 'team' was added"
    assert out[2] == "    why: Old clients do not send it, so their requests are now refused."
    assert out[-1] == "1 breaking, 1 warning, 1 info"


def test_diff_fail_on(breaking_pair: tuple[Path, Path], tmp_path: Path) -> None:
    old = SPECS / "quiva.yaml"
    warn_only = tmp_path / "warn.yaml"
    warn_only.write_text(old.read_text().replace("default: false", "default: true", 1))
    assert run("diff", str(old), str(warn_only)).returncode == 0
    assert run("diff", str(old), str(warn_only), "--fail-on", "warning").returncode == 1
    assert run("diff", *map(str, breaking_pair), "--fail-on", "never").returncode == 0


def test_diff_json(breaking_pair: tuple[Path, Path]) -> None:
    done = run("diff", *map(str, breaking_pair), "--format", "json")
    report = json.loads(done.stdout)
    assert report["summary"] == {"breaking": 1, "warning": 1, "info": 1}
    assert [(c["level"], c["rule"]) for c in report["changes"]] == [
        ("info", "operation-deprecated"),
        ("breaking", "request-parameter-added-required"),
        ("warning", "request-default-changed"),
    ]
    assert all(c["why"] for c in report["changes"])


def test_diff_markdown(breaking_pair: tuple[Path, Path]) -> None:
    done = run("diff", *map(str, breaking_pair), "--format", "markdown")
    md = done.stdout
    assert md.startswith("### Contract diff: 1 breaking, 1 warning, 1 info\n")
    assert "#### Breaking changes (1)\n\n| rule | where | change | why it matters |" in md
    assert "#### Warnings (1)" in md and "#### Other changes (1)" in md
    assert "| `request-parameter-added-required` |" in md


def test_diff_identical_is_silent() -> None:
    done = run("diff", "specs/quiva.yaml", "specs/quiva.yaml")
    assert (done.returncode, done.stdout.strip()) == (0, "0 breaking, 0 warnings, 0 info")


def test_diff_missing_file_is_one_line() -> None:
    assert_one_line_error(run("diff", "specs/quiva.yaml", "nope.yaml"), "nope.yaml: file not found")


def test_diff_broken_file_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("openapi: 3.0.3\npaths: [unclosed\n")
    assert_one_line_error(run("diff", "specs/quiva.yaml", str(bad)), f"{bad}:3:1: invalid YAML")


def test_diff_needs_two_files_or_base() -> None:
    assert_one_line_error(run("diff", "specs/quiva.yaml"), "give OLD and NEW")


def test_diff_base_reports_changed_added_and_removed_specs(repo: Path) -> None:
    spec = repo / "specs" / "example.yaml"
    spec.write_text(spec.read_text().replace("security:", "security:", 1))
    data = yaml.safe_load(spec.read_text())
    data["paths"].pop(next(iter(data["paths"])))
    spec.write_text(yaml.safe_dump(data))
    (repo / "specs" / "wiv.yaml").unlink()
    (repo / "specs" / "wiv.scenarios.yaml").unlink()
    shutil.copy(repo / "specs" / "upstream" / "pharen.yaml", repo / "specs" / "newapi.yaml")
    done = run("diff", "--base", "main", "--format", "json", cwd=repo)
    assert done.returncode == 1, done.stderr
    changes = json.loads(done.stdout)["changes"]
    assert [(c["spec"], c["level"], c["rule"]) for c in changes] == [
        ("specs/example.yaml", "breaking", "path-removed"),
        ("specs/newapi.yaml", "info", "spec-added"),
        ("specs/wiv.yaml", "breaking", "spec-removed"),
    ]
    only = run("diff", "--base", "main", "newapi", cwd=repo)
    assert only.returncode == 0
    assert only.stdout.splitlines()[0] == "info spec-added: specs/newapi.yaml: specs/newapi.yaml"


def test_diff_base_unchanged_and_unknown_ref(repo: Path) -> None:
    done = run("diff", "--base", "origin/main", cwd=repo)
    assert (done.returncode, done.stdout.strip()) == (0, "0 breaking, 0 warnings, 0 info")
    assert_one_line_error(run("diff", "--base", "no-such-ref", cwd=repo), "no-such-ref")


# -- CI files -----------------------------------------------------------------------------


def test_workflow_runs_lint_and_diff_on_spec_changes(repo: Path, tmp_path: Path) -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "spec-gate.yml").read_text())
    assert workflow[True]["pull_request"]["paths"] == ["specs/**"]  # YAML 1.1 reads `on` as True
    steps = workflow["jobs"]["spec-gate"]["steps"]
    checkout = next(s for s in steps if str(s.get("uses", "")).startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    setup = next(s for s in steps if str(s.get("uses", "")).startswith("actions/setup-python"))
    assert setup["with"]["python-version"] == "3.11"
    commands = [s["run"] for s in steps if "run" in s]
    assert commands[0] == "pip install -e ."  # this test runs with the package installed
    # A safe change on the pull request: an optional query parameter.
    spec = repo / "specs" / "wiv.yaml"
    data = yaml.safe_load(spec.read_text())
    op = next(iter(data["paths"].values()))["post"]
    op.setdefault("parameters", []).append(
        {"name": "dry_run", "in": "query", "schema": {"type": "boolean"}}
    )
    spec.write_text(yaml.safe_dump(data, sort_keys=False))
    summary = tmp_path / "summary.md"
    env = {
        **os.environ,
        "GITHUB_STEP_SUMMARY": str(summary),
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
    }
    for command in commands[1:]:
        shell = command.replace("${{ github.base_ref || 'main' }}", "main")
        done = subprocess.run(
            ["bash", "-ec", shell], cwd=repo, capture_output=True, text=True, env=env, timeout=120
        )
        assert done.returncode == 0, (shell, done.stdout, done.stderr)
    assert "request-parameter-added" in summary.read_text()
    # ...and a breaking one fails the last step.
    op["parameters"][-1]["required"] = True
    spec.write_text(yaml.safe_dump(data, sort_keys=False))
    shell = commands[-1].replace("${{ github.base_ref || 'main' }}", "main")
    done = subprocess.run(
        ["bash", "-ec", shell], cwd=repo, capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 1
    assert "breaking request-parameter-added-required" in done.stdout


def test_pre_commit_hooks(repo: Path) -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"contracts-lint", "contracts-diff"}
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    for hook in hooks.values():
        assert hook["files"] == "^specs/" and hook["pass_filenames"] is False
        done = subprocess.run(
            ["bash", "-ec", hook["entry"]],
            cwd=repo,
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert done.returncode == 0, (hook["id"], done.stdout, done.stderr)
