"""The frameworks' own tool tests pass with toolproof swapped in, as they pass without it.

Every test of a vendored suite (see suites.py and README.md) that passes alone must pass swapped,
unless docs/compatibility.md lists it under a deliberate difference; an entry whose tests all pass
swapped is stale and fails too, so the list stays exactly the places where behaviour changes.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

import pytest
from compat_suites import COUNTS, SUITES, Run, Suite, documented_differences, run_suite

# Two interpreters at a time: CI has two cores.
_pool = ThreadPoolExecutor(max_workers=2)
_runs: dict[tuple[str, bool], Future[Run]] = {}


def _start(suite: Suite) -> None:
    for swapped in (False, True):
        if (suite.name, swapped) not in _runs:
            _runs[suite.name, swapped] = _pool.submit(run_suite, suite, swapped=swapped)


@pytest.fixture(scope="module", autouse=True)
def _start_selected_suites(request: pytest.FixtureRequest) -> None:
    selected = {
        item.callspec.params["suite"].name
        for item in request.session.items
        if hasattr(item, "callspec") and "suite" in item.callspec.params
    }
    for suite in SUITES:
        if suite.name in selected:
            _start(suite)


# Waits for its suite's two runs, which may queue behind the others' (see compat_suites.RUN_TIMEOUT).
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("suite", SUITES, ids=[suite.name for suite in SUITES])
def test_swapped_suite_passes_what_passes_alone(suite: Suite) -> None:
    _start(suite)
    alone = _runs[suite.name, False].result()
    swapped = _runs[suite.name, True].result()
    assert alone.outcomes, f"the {suite.name} suite ran no tests alone:\n{alone.output}"
    assert swapped.outcomes, f"the {suite.name} suite ran no tests swapped:\n{swapped.output}"

    documented = documented_differences()
    prefix = f"{suite.name}/"
    passed_alone = alone.passed()
    passed_swapped = swapped.passed()
    lost = sorted(passed_alone - passed_swapped)
    undocumented = [test for test in lost if prefix + test not in documented]
    deliberate = [test for test in lost if prefix + test in documented]
    stale = sorted(
        test[len(prefix) :]
        for test in documented
        if test.startswith(prefix) and test[len(prefix) :] not in lost
    )
    COUNTS[suite.label] = (
        f"{len(passed_alone)} alone / {len(passed_swapped & passed_alone)} swapped"
        f" ({len(deliberate)} documented differences, {len(alone.outcomes)} collected)"
    )

    problems = []
    for test in undocumented:
        detail = swapped.outcomes.get(test, {}).get("detail") or "(not run swapped)"
        problems.append(f"{test} passes alone, not swapped:\n{detail}\n")
    for test in stale:
        problems.append(
            f"{test} is listed in docs/compatibility.md but does not differ (it passes swapped, "
            "or fails alone): remove it from the list\n"
        )
    assert not problems, "\n".join(problems)
