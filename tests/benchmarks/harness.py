"""A small side-by-side benchmark harness: time candidates in one run, print medians and ratios.

Each sample runs a candidate in a loop sized so the sample lasts about 75 ms (50 ms in quick
runs), and the samples of all candidates are interleaved, so a machine that slows down for a few
seconds slows every candidate alike. The figures are medians with their interquartile range, and
each section names its most widely spread candidate: a wide spread means something else used the
machine. Nothing here asserts on time, because shared machines are too noisy for that.

A benchmark module exposes ``run(quick: bool) -> list[dict]``; each dict is one section, either
``kind="timing"`` (from `timing_section`) or ``kind="figures"`` (from `figures_section`).
`print_section` turns one into a table, `main` gives a module its own command line.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import Any

TESTS_DIR = Path(__file__).resolve().parent.parent

FULL_SAMPLES = 15
QUICK_SAMPLES = 3
FULL_SAMPLE_SECONDS = 0.075
QUICK_SAMPLE_SECONDS = 0.05
# Calibration grows the loop until one run lasts this long, then scales it to the sample length.
CALIBRATION_SECONDS = 0.01


@dataclass(frozen=True)
class Candidate:
    """One way of doing the section's job. `returns` says what a call hands back, so a reader can
    judge whether the comparison is fair."""

    name: str
    call: Callable[[], object]
    returns: str = ""
    # Shown for context (a parser alone, a result that is not a dict) but not a competitor.
    baseline: bool = False


@dataclass(frozen=True)
class Target:
    """`reference` must be at least `at_least` times faster than the fastest of `against`.

    A ratio below 1 allows the reference to be slower: 0.5 means "no slower than 2x".
    """

    label: str
    against: tuple[str, ...]
    at_least: float
    aim: float | None = None


@dataclass
class Measurement:
    candidate: Candidate
    loops: int
    sample_ns_per_op: list[float]

    @property
    def median_us(self) -> float:
        return statistics.median(self.sample_ns_per_op) / 1000

    @property
    def spread(self) -> float:
        """The interquartile range as a share of the median."""
        return self.iqr_us / self.median_us if self.median_us else 0.0

    @property
    def iqr_us(self) -> float:
        if len(self.sample_ns_per_op) < 2:
            return 0.0
        first, _, third = statistics.quantiles(self.sample_ns_per_op, n=4, method="inclusive")
        return (third - first) / 1000


def time_loop(call: Callable[[], object], loops: int) -> int:
    """Nanoseconds for `loops` calls, with the cyclic GC off as `timeit` does."""
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter_ns()
        for _ in repeat(None, loops):
            call()
        return time.perf_counter_ns() - start
    finally:
        if gc_was_enabled:
            gc.enable()


def calibrate(call: Callable[[], object], sample_seconds: float) -> int:
    """The number of calls that makes one sample last about `sample_seconds`."""
    call()  # warm caches and lazy imports before anything is timed
    loops = 1
    while True:
        elapsed_ns = max(time_loop(call, loops), 1)
        if elapsed_ns >= CALIBRATION_SECONDS * 1e9:
            return max(1, round(loops * sample_seconds * 1e9 / elapsed_ns))
        loops *= 10 if elapsed_ns < CALIBRATION_SECONDS * 1e8 else 2


def measure(candidates: Sequence[Candidate], *, quick: bool) -> list[Measurement]:
    samples = QUICK_SAMPLES if quick else FULL_SAMPLES
    sample_seconds = QUICK_SAMPLE_SECONDS if quick else FULL_SAMPLE_SECONDS
    measurements = [
        Measurement(candidate, calibrate(candidate.call, sample_seconds), []) for candidate in candidates
    ]
    for _ in range(samples):
        for measurement in measurements:
            elapsed_ns = time_loop(measurement.candidate.call, measurement.loops)
            measurement.sample_ns_per_op.append(elapsed_ns / measurement.loops)
    return measurements


def timing_section(
    *,
    benchmark: str,
    section: str,
    title: str,
    candidates: Sequence[Candidate],
    reference: str,
    targets: Sequence[Target] = (),
    notes: Sequence[str] = (),
    facts: dict[str, Any] | None = None,
    quick: bool,
    unit: str = "µs/op",
) -> dict[str, Any]:
    """Time `candidates` side by side; ratios are each candidate's median over the reference's.

    `facts` are counts that qualify the figures (inputs left out, say); they go to the JSON output,
    while `notes` say the same for a reader of the table.
    """
    print(f"timing {benchmark}/{section} ...", file=sys.stderr, flush=True)
    measurements = measure(candidates, quick=quick)
    by_name = {measurement.candidate.name: measurement for measurement in measurements}
    reference_us = by_name[reference].median_us
    rows = [
        {
            "name": measurement.candidate.name,
            "returns": measurement.candidate.returns,
            "baseline": measurement.candidate.baseline,
            "median_us": measurement.median_us,
            "iqr_us": measurement.iqr_us,
            "ratio": measurement.median_us / reference_us,
            "loops_per_sample": measurement.loops,
            "samples_us": [ns / 1000 for ns in measurement.sample_ns_per_op],
        }
        for measurement in measurements
    ]
    target_rows = []
    for target in targets:
        fastest = min((by_name[name] for name in target.against), key=lambda m: m.median_us)
        ratio = fastest.median_us / reference_us
        target_rows.append(
            {
                "label": target.label,
                "against": list(target.against),
                "compared_with": fastest.candidate.name,
                "ratio": ratio,
                "at_least": target.at_least,
                "aim": target.aim,
                "met": ratio >= target.at_least,
                "aim_met": None if target.aim is None else ratio >= target.aim,
            }
        )
    widest = max(measurements, key=lambda measurement: measurement.spread)
    return {
        "benchmark": benchmark,
        "section": section,
        "kind": "timing",
        "widest_spread": {"candidate": widest.candidate.name, "iqr_share": widest.spread},
        "title": title,
        "unit": unit,
        "reference": reference,
        "samples": len(measurements[0].sample_ns_per_op) if measurements else 0,
        "candidates": rows,
        "targets": target_rows,
        "facts": dict(facts or {}),
        "notes": list(notes),
    }


def figures_section(
    *,
    benchmark: str,
    section: str,
    title: str,
    figures: Sequence[dict[str, Any]],
    notes: Sequence[str] = (),
    facts: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A section of plain figures, each ``{name, value, unit, target?, met?}``."""
    return {
        "benchmark": benchmark,
        "section": section,
        "kind": "figures",
        "title": title,
        "figures": list(figures),
        "facts": dict(facts or {}),
        "notes": list(notes),
    }


def skipped_section(
    *, benchmark: str, section: str, title: str, reason: str, facts: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A section with nothing timed, saying why."""
    return figures_section(
        benchmark=benchmark, section=section, title=title, figures=[], notes=[reason], facts=facts
    )


def _format_ratio(ratio: float) -> str:
    return f"{ratio:.2f}x"


def _yes_no(flag: bool | None) -> str:
    return "" if flag is None else ("yes" if flag else "NO")


def _print_table(header: Sequence[str], rows: Sequence[Sequence[str]], right_aligned: set[int]) -> None:
    widths = [max(len(header[i]), *(len(row[i]) for row in rows)) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        parts = [
            cell.rjust(widths[i]) if i in right_aligned else cell.ljust(widths[i])
            for i, cell in enumerate(cells)
        ]
        return "  ".join(parts).rstrip()

    print(line(header))
    print(line(["-" * width for width in widths]))
    for row in rows:
        print(line(row))


def print_section(result: dict[str, Any]) -> None:
    print(f"\n== {result['benchmark']} / {result['section']}: {result['title']} ==")
    if result["kind"] == "timing":
        _print_timing(result)
    else:
        _print_figures(result)
    for note in result["notes"]:
        print(f"  note: {note}")


def _print_timing(result: dict[str, Any]) -> None:
    marks: dict[str, tuple[str, str]] = {}
    for target in result["targets"]:
        marks[target["compared_with"]] = (f">={target['at_least']:g}x", _yes_no(target["met"]))
    unit = result["unit"]
    header = ["candidate", f"median {unit}", "IQR", "ratio", "target", "met", "returns"]
    rows = []
    for row in result["candidates"]:
        target, met = marks.get(row["name"], ("", ""))
        name = row["name"] + (" (baseline)" if row["baseline"] else "")
        rows.append(
            [
                name,
                f"{row['median_us']:.3f}",
                f"{row['iqr_us']:.3f}",
                _format_ratio(row["ratio"]),
                target,
                met,
                row["returns"],
            ]
        )
    _print_table(header, rows, right_aligned={1, 2, 3})
    print(
        f"  ratio = candidate median / {result['reference']} median (above 1: toolproof is faster); "
        f"{result['samples']} samples each"
    )
    widest = result["widest_spread"]
    print(f"  widest spread: {widest['candidate']}, IQR {widest['iqr_share']:.0%} of its median")
    for target in result["targets"]:
        aim = ""
        if target["aim"] is not None:
            aim = f"; aim {target['aim']:g}x {'reached' if target['aim_met'] else 'not reached'}"
        print(
            f"  target: {target['label']}: {_format_ratio(target['ratio'])} against "
            f"{target['compared_with']} -> {'met' if target['met'] else 'NOT MET'}{aim}"
        )


def _print_figures(result: dict[str, Any]) -> None:
    if not result["figures"]:
        return
    rows = [
        [
            figure["name"],
            f"{figure['value']:.2f}" if isinstance(figure["value"], float) else f"{figure['value']:,}",
            figure.get("unit", ""),
            figure.get("target", ""),
            _yes_no(figure.get("met")),
        ]
        for figure in result["figures"]
    ]
    _print_table(["figure", "value", "unit", "target", "met"], rows, right_aligned={1})


def resident_bytes() -> int:
    """Resident memory of this process now; where /proc is missing, the peak so far."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            resident_pages = int(statm.read().split()[1])
        return resident_pages * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        # ru_maxrss is in bytes on macOS and in kilobytes elsewhere.
        return peak if sys.platform == "darwin" else peak * 1024


def find_corpus(name: str) -> Path | None:
    """The shared corpus folder `name` (see tests/corpora.py), or None when absent."""
    if str(TESTS_DIR) not in sys.path:
        sys.path.append(str(TESTS_DIR))
    import corpora

    return corpora.find_corpus(name)


def environment() -> dict[str, Any]:
    """Interpreter and library versions, so saved JSON figures can be compared later."""
    from importlib import metadata

    versions: dict[str, str | None] = {}
    for package in (
        "toolproof",
        "pydantic",
        "pydantic-core",
        "jsonschema",
        "jsonschema-rs",
        "fastjsonschema",
        "orjson",
        "json-repair",
    ):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "python": sys.version.split()[0],
        "platform": sys.platform,
        "cpus": os.cpu_count(),
        "versions": versions,
    }


def parse_arguments(argv: Sequence[str] | None, description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--json", action="store_true", help="print one JSON document with every figure instead of tables"
    )
    parser.add_argument("--quick", action="store_true", help="fewer samples and iterations, for smoke runs")
    return parser.parse_args(argv)


def report(results: Sequence[dict[str, Any]], *, as_json: bool, quick: bool) -> None:
    if as_json:
        json.dump(
            {"environment": environment(), "quick": quick, "results": list(results)},
            sys.stdout,
            indent=2,
            ensure_ascii=False,
        )
        print()
        return
    for result in results:
        print_section(result)
    print_summary(results)


def print_summary(results: Sequence[dict[str, Any]]) -> None:
    """The timing targets met and not; beside each one missed, how widely its section's samples
    spread, since a wide spread means something else used the machine while it was timed."""
    timed = [result for result in results if result["kind"] == "timing"]
    targets = [(result, target) for result in timed for target in result["targets"]]
    if not targets:
        return
    missed = [(result, target) for result, target in targets if not target["met"]]
    print(f"\n== summary: {len(targets) - len(missed)} of {len(targets)} timing targets met ==")
    for result, target in missed:
        spread = result["widest_spread"]["iqr_share"]
        print(
            f"  not met: {result['benchmark']}/{result['section']}: {target['label']}: "
            f"{_format_ratio(target['ratio'])} (widest IQR {spread:.0%} of a median)"
        )


def main(
    run: Callable[[bool], list[dict[str, Any]]], description: str, argv: Sequence[str] | None = None
) -> int:
    """Command line for one benchmark module: ``python bench_x.py [--json] [--quick]``."""
    arguments = parse_arguments(argv, description)
    report(run(arguments.quick), as_json=arguments.json, quick=arguments.quick)
    return 0
