"""Print docs/cases.md's listing: a curl per scenario case and what the
running mock answers. Usage: mockserver serve & python docs/cases.py [BASE_URL]"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

from contracts import Case, Contract, find_specs, load_contract
from contracts.requests import case_request

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:4010"


def curl_for(contract: Contract, case: Case) -> list[str]:
    op = contract.operation()
    request = case_request(contract, op, case)
    args = ["curl", "-s", "-X", op.method.upper(), f"{BASE}/{contract.api_id}{request.target(op)}"]
    headers = request.all_headers(contract)
    if request.has_body:
        headers.setdefault("Content-Type", "application/json")
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    if request.has_body:
        args += ["-d", json.dumps(request.body, separators=(",", ":"))]
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
