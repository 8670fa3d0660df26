"""`python -m tests.implementations NAME [--port N]`: serve one implementation on 127.0.0.1."""

from __future__ import annotations

import argparse

import uvicorn

from . import BROKEN, CORRECT, app_factory


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.implementations")
    parser.add_argument("name", nargs="?", help="an API id (correct app) or a variant name")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    if not args.name:
        for api in CORRECT:
            print(f"{api:36} correct")
        for name, variant in BROKEN.items():
            print(f"{name:36} {variant.expected_check}: {variant.defect}")
        return
    uvicorn.run(app_factory(args.name)(), host="127.0.0.1", port=args.port, log_level="info")


if __name__ == "__main__":
    main()
