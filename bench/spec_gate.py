"""Time the spec gate as CI runs it: `contracts lint` and `contracts diff` on big specs.

    python bench/spec_gate.py [--operations 1000] [--repeat 3]

Generates two versions of a `--operations`-operation API (bench/gen_large_spec.py), then
times the installed `contracts` console script on them, best of `--repeat` runs, wall
clock, process start-up included. Targets: diff < 2 s, lint < 5 s for 1000 operations.
Run it alone: the figures mean nothing on a machine busy with other work.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import yaml  # noqa: E402
from gen_large_spec import build  # noqa: E402


def timed(command: list[str], repeat: int) -> tuple[float, int, str]:
    best, code, out = float("inf"), 0, ""
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        best = min(best, time.perf_counter() - start)
        code, out = (
            done.returncode,
            done.stdout.strip().splitlines()[-1] if done.stdout else done.stderr,
        )
    return best, code, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--operations", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    contracts = shutil.which(
        "contracts", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    )
    if contracts is None:
        print("`contracts` is not installed: pip install -e .", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        old, new = Path(tmp) / "old.yaml", Path(tmp) / "new.yaml"
        old.write_text(yaml.safe_dump(build(args.operations, 0), sort_keys=False))
        new.write_text(yaml.safe_dump(build(args.operations, 1), sort_keys=False))
        lines = len(old.read_text().splitlines())
        startup, _, _ = timed([contracts, "--help"], args.repeat)
        lint_s, lint_rc, lint_out = timed([contracts, "lint", str(old)], args.repeat)
        diff_s, diff_rc, diff_out = timed([contracts, "diff", str(old), str(new)], args.repeat)
    print(f"spec: {args.operations} operations, {lines} lines of YAML; best of {args.repeat}")
    print(f"start-up (contracts --help)   {startup:6.2f} s")
    print(f"contracts lint  {lint_s:6.2f} s  (target < 5 s)  exit {lint_rc}: {lint_out}")
    print(f"contracts diff  {diff_s:6.2f} s  (target < 2 s)  exit {diff_rc}: {diff_out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
