"""The pytest plugin, as a user meets it: separate pytest processes (pytester) run test files
against the installed plugin (its `pytest11` entry point, nothing imported), and their
outcomes and messages are asserted here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import SPECS

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "test_with_flowcontract.py"
TIMEOUT = 240  # seconds for one inner pytest run (it starts a mock: a few seconds)

# An ini as a user writes it; warnings are errors, so the plugin must not raise any.
INI = """
[pytest]
filterwarnings = error
flowcontract_apis = quiva
flowcontract_scenarios = my-quiva.scenarios.yaml
"""

# Exercises every promise of the plugin; the expected outcome of each test is in its name
# (`fails`, `errors`) or it passes.
BEHAVIOUR = """
from __future__ import annotations

import httpx
import pytest

HEADERS = {"Authorization": "Bearer qv_test_token"}
BODY = {"trigger": {"user_id": "u1"}, "await": True}


def run(mock, flow, body=BODY, headers=HEADERS):
    url = mock.url("quiva") + f"/hub/workflows/c/{flow}/run"
    return httpx.post(url, json=body, headers=headers)


def test_fails_strict_on_a_refused_body(flowcontract_mock):
    assert run(flowcontract_mock, "f1", body={"trigger": 5}).status_code == 400


def test_fails_strict_on_missing_credentials(flowcontract_mock):
    assert run(flowcontract_mock, "f1", headers={}).status_code == 401


def test_fails_strict_on_an_undocumented_path(flowcontract_mock):
    assert httpx.get(flowcontract_mock.url("quiva") + "/hub/nowhere").status_code == 404


def test_a_documented_business_error_is_no_violation(flowcontract_mock):
    assert run(flowcontract_mock, "archived").status_code == 400


@pytest.mark.flowcontract(strict=False)
def test_strict_false_lets_a_refused_body_pass(flowcontract_mock):
    assert run(flowcontract_mock, "f1", body={"trigger": 5}).status_code == 400


def test_first_sends_two(flowcontract_mock):
    run(flowcontract_mock, "first")
    run(flowcontract_mock, "first")
    paths = [e["path"] for e in flowcontract_mock.requests()]
    assert paths == ["/quiva/hub/workflows/c/first/run"] * 2


def test_second_sees_only_its_own(flowcontract_mock):
    assert flowcontract_mock.requests() == []
    run(flowcontract_mock, "second")
    [entry] = flowcontract_mock.requests("quiva", "runWorkflow")
    assert entry["path"] == "/quiva/hub/workflows/c/second/run"
    for operation in (
        "POST /hub/workflows/{collection_topic}/{flow_topic}/run",
        "post /hub/workflows/c/second/run",
        "POST /quiva/hub/workflows/c/second/run",
    ):
        flowcontract_mock.assert_called("quiva", operation, times=1, body={"await": True})
    assert flowcontract_mock.requests("quiva", "POST /hub/workflows/c/first/run") == []


def test_fails_assert_called_with_a_diff(flowcontract_mock):
    run(flowcontract_mock, "f1", body={"trigger": {"user_id": "u2", "plan": "pro"}, "await": False})
    flowcontract_mock.assert_called(
        "quiva", "runWorkflow", body={"trigger": {"user_id": "u1", "team": "t"}, "await": True}
    )


def test_fails_assert_called_times(flowcontract_mock):
    run(flowcontract_mock, "f1")
    flowcontract_mock.assert_called("quiva", "runWorkflow", times=2)


@pytest.mark.flowcontract(prefer="code=400, example=ArchivedFlow")
def test_prefer_for_every_api(flowcontract_mock):
    response = run(flowcontract_mock, "f1")
    assert (response.status_code, response.json()) == (400, {"error": "cannot run an archived flow"})


@pytest.mark.flowcontract(prefer={"quiva": "code=400, example=NoTrigger"})
def test_prefer_per_api_and_the_request_own_prefer_wins(flowcontract_mock):
    assert run(flowcontract_mock, "f1").json() == {"error": "no trigger specified"}
    assert run(flowcontract_mock, "f1", headers={**HEADERS, "Prefer": "code=200"}).status_code == 200


def test_without_the_marker_the_default_answer_is_back(flowcontract_mock):
    assert run(flowcontract_mock, "f1").status_code == 200


@pytest.mark.flowcontract(prefer="code=400, example=MissingConfig")
def test_reset_forgets_requests_and_keeps_prefer(flowcontract_mock):
    run(flowcontract_mock, "f1")
    flowcontract_mock.reset()
    assert flowcontract_mock.requests() == []
    assert run(flowcontract_mock, "f1").json() == {"error": "missing configuration"}


def test_fails_on_a_violation_before_a_reset(flowcontract_mock):
    run(flowcontract_mock, "f1", body={"trigger": 5})
    flowcontract_mock.reset()


def test_the_user_scenarios_are_served(flowcontract_mock):
    response = run(flowcontract_mock, "retired")
    assert (response.status_code, response.json()) == (400, {"error": "cannot run an archived flow"})


def test_unknown_api_and_operation_are_refused(flowcontract_mock):
    with pytest.raises(ValueError, match="serves no API 'wiv'"):
        flowcontract_mock.url("wiv")
    with pytest.raises(ValueError, match="'runEverything' is no operation of quiva"):
        flowcontract_mock.requests("quiva", "runEverything")


def test_fails_and_shows_the_violation_beside_the_failure(flowcontract_mock):
    assert run(flowcontract_mock, "f1", body={"trigger": 5}).status_code == 200


@pytest.fixture
def sends_at_teardown(flowcontract_mock):
    yield
    run(flowcontract_mock, "f1", body={"trigger": "teardown"})


def test_errors_when_a_fixture_breaks_the_contract_at_teardown(sends_at_teardown):
    pass


@pytest.mark.flowcontract(strict=False, speed=3)
def test_errors_on_an_unknown_marker_argument(flowcontract_mock):
    pass
"""


def sections(output: str) -> dict[str, str]:
    """The failure and error sections of a pytest report, by their header
    (`test_x`, `ERROR at teardown of test_x`)."""
    found: dict[str, str] = {}
    name = None
    for line in output.splitlines():
        header = re.fullmatch(r"_+ (.+?) _+", line)
        if header:
            name = header[1]
            found[name] = ""
        elif line.startswith("====="):
            name = None
        elif name is not None:
            found[name] += line + "\n"
    return found


@pytest.fixture()
def user_project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A project with the INI, a scenarios file of its own (quiva's, plus a `retired`
    flow that is archived) and BEHAVIOUR as its test file."""
    pytester.makeini(INI)
    scenarios = (SPECS / "quiva.scenarios.yaml").read_text()
    marker = "    archived: {state: archived}\n"
    assert marker in scenarios
    mine = scenarios.replace(marker, marker + "    retired: {state: archived}\n")
    (pytester.path / "my-quiva.scenarios.yaml").write_text(mine)
    pytester.makepyfile(test_behaviour=BEHAVIOUR)
    return pytester


def test_the_readme_example_passes_as_is(pytester: pytest.Pytester) -> None:
    """The example file, copied into an empty project whose warnings are errors, with the
    default ini (all five APIs)."""
    pytester.makeini("[pytest]\nfilterwarnings = error\n")
    pytester.makepyfile(test_with_flowcontract=EXAMPLE.read_text())
    result = pytester.runpytest_subprocess("-v", timeout=TIMEOUT)
    result.assert_outcomes(passed=4)
    readme = (ROOT / "README.md").read_text()
    assert f"```python\n{EXAMPLE.read_text()}```" in readme, "README shows the example as it is"


def test_strict_mode_isolation_assert_called_and_prefer(user_project: pytest.Pytester) -> None:
    result = user_project.runpytest_subprocess(timeout=TIMEOUT)
    result.assert_outcomes(passed=11, failed=7, errors=2)
    failed = {
        line.split("::")[1].split(" ")[0]
        for line in result.outlines
        if line.startswith(("FAILED ", "ERROR "))
    }
    assert failed == {
        name
        for name in re.findall(r"^def (test_\w+)", BEHAVIOUR, flags=re.MULTILINE)
        if name.startswith(("test_fails_", "test_errors_"))
    }
    report = sections(result.stdout.str())
    strict = "flowcontract: 1 request of this test broke the contract (refused by the mock):"
    hint = "(strict mode: @pytest.mark.flowcontract(strict=False) or --flowcontract-no-strict lets them pass)"
    reasons = {
        "test_fails_strict_on_a_refused_body": "POST /quiva/hub/workflows/c/f1/run -> 400 "
        "(validate: trigger: 5 is not of type 'object')",
        # the mock's whole reason, whatever its wording after this
        "test_fails_strict_on_missing_credentials": "POST /quiva/hub/workflows/c/f1/run -> 401 "
        "(guard: missing or invalid credentials (No authorization token provided); send …",
        "test_fails_strict_on_an_undocumented_path": "GET /quiva/hub/nowhere -> 404 (unrouted)",
        "test_fails_on_a_violation_before_a_reset": "POST /quiva/hub/workflows/c/f1/run -> 400 "
        "(validate: trigger: 5 is not of type 'object')",
        "ERROR at teardown of test_errors_when_a_fixture_breaks_the_contract_at_teardown": (
            "POST /quiva/hub/workflows/c/f1/run -> 400 "
            "(validate: trigger: 'teardown' is not of type 'object')"
        ),
    }
    for name, reason in reasons.items():
        lines = report[name].strip().splitlines()
        assert lines[0] == strict, name
        pattern = re.escape(reason).replace("…", ".+[)]")
        assert re.fullmatch(r"  #\d+ " + pattern, lines[1]), (name, lines[1])
        assert lines[2:] == [hint], name
    beside = report["test_fails_and_shows_the_violation_beside_the_failure"]
    assert "AssertionError: assert 400 == 200" in beside
    assert beside.split("Captured flowcontract call", 1)[1].count(strict) == 1

    diff = report["test_fails_assert_called_with_a_diff"]
    expected = [
        "E       AssertionError: flowcontract: expected quiva runWorkflow to be called at least "
        'once with a body containing {"trigger": {"user_id": "u1", "team": "t"}, "await": true}; '
        "it was called 1 time, 0 with that body",
        "E       calls of runWorkflow in this test:",
        r"E         #\d+ POST /quiva/hub/workflows/c/f1/run -> 200 \(default\)",
        'E             body.trigger.user_id: expected "u1", got "u2"',
        'E             body.trigger.team: missing (expected "t")',
        "E             body.await: expected true, got false",
    ]
    shown = [line for line in diff.splitlines() if line.startswith("E ")]
    assert len(shown) == len(expected), shown
    for pattern, line in zip(expected, shown, strict=True):
        assert re.fullmatch(pattern if "\\d" in pattern else re.escape(pattern), line), line
    times = report["test_fails_assert_called_times"]
    assert (
        "AssertionError: flowcontract: expected quiva runWorkflow to be called 2 times; "
        "it was called 1 time" in times
    )
    assert (
        "@pytest.mark.flowcontract takes only the keyword arguments prefer, strict; got speed="
        in (report["ERROR at setup of test_errors_on_an_unknown_marker_argument"])
    )


def test_no_strict_option_lets_violations_pass(user_project: pytest.Pytester) -> None:
    result = user_project.runpytest_subprocess(
        "--flowcontract-no-strict", "-k", "strict or teardown or reset", timeout=TIMEOUT
    )
    # the strict failures and the teardown error pass; the rest passed already
    result.assert_outcomes(passed=7, failed=0, errors=0, deselected=12)
    assert "broke the contract" not in result.stdout.str()


def test_one_mock_per_xdist_worker_and_tests_stay_isolated(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # an id and a spec path: relative to the ini file, not to where pytest runs (ours/),
    # with its scenarios file beside it
    pytester.makeini(
        "[pytest]\nfilterwarnings = error\nflowcontract_apis = quiva ours/example.yaml\n"
    )
    (pytester.path / "ours").mkdir()
    for name in ("example.yaml", "example.scenarios.yaml"):
        (pytester.path / "ours" / name).write_bytes((SPECS / name).read_bytes())
    pytester.makepyfile(
        test_spread="""
        import os
        from pathlib import Path

        import httpx
        import pytest


        @pytest.mark.parametrize("sent", range(1, 9))
        def test_sees_only_its_own_requests(flowcontract_mock, sent):
            url = flowcontract_mock.url("example") + "/v1/workflows/wf_active/run"
            for _ in range(sent):
                httpx.post(url, json={}, headers={"Authorization": "Bearer ex_test_token"})
            assert len(flowcontract_mock.requests("example")) == sent
            flowcontract_mock.assert_called("example", "POST /v1/workflows/{id}/run", times=sent)
            worker = os.environ["PYTEST_XDIST_WORKER"]
            (Path(__file__).parent / f"{worker}-{sent}.url").write_text(flowcontract_mock.url("example"))


        def test_fails_strict_under_xdist(flowcontract_mock):
            httpx.post(flowcontract_mock.url("example") + "/v1/workflows/wf_active/run", json={})
        """
    )
    monkeypatch.chdir(pytester.path / "ours")
    result = pytester.runpytest_subprocess(
        "-p", "xdist", "-n", "2", str(pytester.path / "test_spread.py"), timeout=TIMEOUT
    )
    result.assert_outcomes(passed=8, failed=1)
    [failure] = [
        text
        for name, text in sections(result.stdout.str()).items()
        if name.endswith("test_fails_strict_under_xdist")
    ]
    assert "flowcontract: 1 request of this test broke the contract" in failure
    assert "-> 401 (guard: missing or invalid credentials" in failure
    urls: dict[str, set[str]] = {}
    for written in pytester.path.glob("gw*-*.url"):
        urls.setdefault(written.name.split("-")[0], set()).add(written.read_text())
    assert sorted(urls) == ["gw0", "gw1"], urls
    assert all(len(seen) == 1 for seen in urls.values()), urls
    assert urls["gw0"] != urls["gw1"], "each worker runs its own mock"


def test_a_bad_ini_option_is_one_line(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nflowcontract_apis = quiva nope\n")
    pytester.makepyfile("def test_any(flowcontract_mock):\n    pass\n")
    result = pytester.runpytest_subprocess(timeout=TIMEOUT)
    result.assert_outcomes(errors=1)
    report = sections(result.stdout.str())
    assert report["ERROR at setup of test_any"].strip() == (
        "flowcontract: the mock cannot start: unknown API 'nope' "
        "(known: altostrat, example, pharen, quiva, wiv)"
    )
