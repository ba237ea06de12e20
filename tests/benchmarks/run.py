"""Run every benchmark in this folder in one process.

``python tests/benchmarks/run.py [--quick] [--json]``; ``make bench`` runs it. Each ``bench_*.py``
module exposes ``run(quick: bool) -> list[dict]``; the sections of all of them are printed as
tables, or with ``--json`` as one JSON document.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness import parse_arguments, report

BENCHMARKS_DIR = Path(__file__).resolve().parent


def benchmark_modules() -> list[str]:
    return sorted(path.stem for path in BENCHMARKS_DIR.glob("bench_*.py"))


def run_all(quick: bool) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    for name in benchmark_modules():
        print(f"running {name} ...", file=sys.stderr, flush=True)
        results.extend(importlib.import_module(name).run(quick))
    return results


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv, description="Run every toolproof benchmark side by side.")
    report(run_all(arguments.quick), as_json=arguments.json, quick=arguments.quick)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
