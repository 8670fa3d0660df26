"""Print README's "every documented case" section: a curl per scenario case and what the
running mock answers. Usage: mockserver serve & python docs/cases.py [BASE_URL]"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

from contracts import find_specs, load_contract

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:4010"


def curl_for(contract, case) -> list[str]:  # type: ignore[no-untyped-def]
    op = contract.operation()
    path = op.path
    for name, value in case.request.path.items():
        path = path.replace("{" + name + "}", str(value))
    query = "&".join(
        f"{k}={str(v).lower() if isinstance(v, bool) else v}" for k, v in case.request.query.items()
    )
    url = f"{BASE}/{contract.api_id}{path}" + (f"?{query}" if query else "")
    args = ["curl", "-s", "-X", op.method.upper(), url]
    if case.request.credential != "none":
        cred = contract.scenarios.credentials[case.request.credential]
        scheme = contract.security_schemes[cred.scheme]
        header = (
            f"Authorization: Bearer {cred.value}"
            if scheme["type"] == "http"
            else f"{scheme['name']}: {cred.value}"
        )
        args += ["-H", header]
    body = None
    if case.request.body_example:
        body = op.request_examples[case.request.body_example].value
    elif case.request.has_body:
        body = case.request.body_value
    if body is not None:
        args += [
            "-H",
            "Content-Type: application/json",
            "-d",
            json.dumps(body, separators=(",", ":")),
        ]
    return args


def main() -> None:
    for spec in find_specs(Path("specs")):
        contract = load_contract(spec)
        print(f"\n#### {contract.api_id}\n")
        for case in contract.scenarios.cases:
            args = curl_for(contract, case)
            out = subprocess.run(
                [*args, "-w", "\\n%{http_code}"], capture_output=True, text=True
            ).stdout
            body, _, status = out.rpartition("\n")
            shown = " ".join(shlex.quote(a) for a in args)
            print(f"{case.summary} → **{status}**\n")
            print(f"```console\n$ {shown}\n{body}\n```\n")


if __name__ == "__main__":
    main()
