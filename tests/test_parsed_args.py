"""`ParsedArgs`, the object every parse returns: made and freed on each call, so its life cycle is
tested as a life cycle: construction, what it holds, reuse of freed objects, reference counts,
re-entrant freeing, threads and interpreter exit."""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor

import pytest
import toolproof
from toolproof import ParsedArgs, Repair
from toolproof._core import ArgumentRoad

ROAD = ArgumentRoad(
    {
        "type": "object",
        "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
        "required": ["city"],
        "additionalProperties": False,
    }
)


def test_a_parse_returns_a_parsed_args_holding_the_arguments():
    parsed = ROAD.parse('{"city": "Paris", "days": 3}')
    assert type(parsed) is ParsedArgs
    assert parsed.arguments == {"city": "Paris", "days": 3}
    assert parsed.repairs == []


def test_repairs_are_kept_in_order_and_each_read_is_a_new_list():
    parsed = ROAD.parse('{"city": "Paris", "days": "3",}')
    assert [repair.kind for repair in parsed.repairs] == ["trailing_comma", "string_to_integer"]
    first = parsed.repairs
    first.clear()
    assert len(parsed.repairs) == 2


def test_it_is_made_by_position_or_keyword_with_repairs_optional():
    repair = Repair("days", "string_to_integer", "3", 3)
    assert ParsedArgs({"a": 1}).repairs == []
    assert ParsedArgs({"a": 1}, [repair]).repairs == [repair]
    assert ParsedArgs(arguments={"a": 1}, repairs=(repair,)).repairs == [repair]
    assert ParsedArgs({"a": 1}, repairs=iter([repair])).arguments == {"a": 1}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: ParsedArgs(), "missing required argument 'arguments'"),
        (lambda: ParsedArgs([1]), "argument 'arguments'"),
        (lambda: ParsedArgs({}, [1]), "argument 'repairs'"),
        (lambda: ParsedArgs({}, 5), "not iterable"),
        (lambda: ParsedArgs({}, [], 3), "at most 2 positional arguments"),
        (lambda: ParsedArgs({}, arguments={}), "multiple values for argument 'arguments'"),
        (lambda: ParsedArgs({}, extra=1), "unexpected keyword argument 'extra'"),
    ],
)
def test_a_wrong_construction_is_refused_by_name(call, message):
    with pytest.raises(TypeError, match=message):
        call()


def test_it_cannot_be_changed_or_subclassed():
    parsed = ParsedArgs({"a": 1})
    with pytest.raises(AttributeError):
        parsed.arguments = {}  # type: ignore[misc]
    with pytest.raises(AttributeError):
        parsed.other = 1  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        type("Sub", (ParsedArgs,), {})


def test_its_repr_shows_arguments_and_repairs():
    assert repr(ParsedArgs({"a": 1})) == "ParsedArgs(arguments={'a': 1}, repairs=[])"
    assert "string_to_integer" in repr(ROAD.parse('{"city": "P", "days": "3"}'))


def test_its_type_reads_as_the_public_name_with_its_signature():
    assert ParsedArgs is toolproof.ParsedArgs
    assert (ParsedArgs.__module__, ParsedArgs.__qualname__) == ("toolproof", "ParsedArgs")
    assert ParsedArgs.__text_signature__ == "(arguments, repairs=...)"


def test_objects_freed_and_made_again_keep_their_own_arguments():
    # Freed objects are reused: many alive at once, freed in an order other than made, then made
    # again, must each still hold what its own parse read.
    alive = [ROAD.parse(f'{{"city": "c{index}", "days": {index}}}') for index in range(100)]
    for index in range(0, 100, 3):
        alive[index] = None
    again = [ROAD.parse(f'{{"city": "again{index}"}}') for index in range(50)]
    for index, parsed in enumerate(alive):
        if parsed is not None:
            assert parsed.arguments == {"city": f"c{index}", "days": index}
    assert [parsed.arguments["city"] for parsed in again] == [f"again{index}" for index in range(50)]


def test_parsing_holds_no_reference_to_the_arguments_or_the_type_once_freed():
    arguments = {"city": "Paris"}
    arguments_count = sys.getrefcount(arguments)
    type_count = sys.getrefcount(ParsedArgs)
    for _ in range(10_000):
        ParsedArgs(arguments)
        ROAD.parse('{"city": "Paris"}').arguments  # noqa: B018
        ROAD.parse('{"city": "Paris", "days": "3"}').repairs  # noqa: B018
    assert sys.getrefcount(arguments) == arguments_count
    assert sys.getrefcount(ParsedArgs) == type_count


def test_the_arguments_outlive_the_object_that_held_them():
    arguments = ROAD.parse('{"city": "Paris", "days": 3}').arguments
    gc.collect()
    assert arguments == {"city": "Paris", "days": 3}


class ParsesWhenFreed:
    """A value whose freeing makes and frees other `ParsedArgs` while one is being freed."""

    def __init__(self, made: list[dict]):
        self.made = made

    def __del__(self):
        for _ in range(40):
            self.made.append(ROAD.parse('{"city": "inner"}').arguments)


def test_freeing_may_make_and_free_other_objects():
    made: list[dict] = []
    outer = [ParsedArgs({"value": ParsesWhenFreed(made)}) for _ in range(20)]
    del outer
    assert len(made) == 800
    assert all(arguments == {"city": "inner"} for arguments in made)
    after = [ROAD.parse(f'{{"city": "after{index}"}}') for index in range(40)]
    assert [parsed.arguments["city"] for parsed in after] == [f"after{index}" for index in range(40)]


def test_threads_parsing_at_once_each_get_their_own_arguments():
    def parse_many(worker: int) -> bool:
        return all(
            ROAD.parse(f'{{"city": "w{worker}", "days": {index}}}').arguments
            == {"city": f"w{worker}", "days": index}
            for index in range(2_000)
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert all(pool.map(parse_many, range(8)))


def test_objects_alive_or_freed_at_exit_end_the_interpreter_cleanly():
    script = textwrap.dedent(
        """
        from toolproof._core import ArgumentRoad
        road = ArgumentRoad({"type": "object", "properties": {"a": {"type": "integer"}}})
        kept = [road.parse('{"a": %d}' % index) for index in range(50)]
        for index in range(0, 50, 2):
            kept[index] = None
        held = road.parse('{"a": "7"}')
        print(held.arguments, len(held.repairs))
        """
    )
    finished = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.strip() == "{'a': 7} 1"


class Noted:
    """An object that says when it is freed."""

    def __init__(self, freed: list[str]):
        self.freed = freed

    def __del__(self):
        self.freed.append("freed")


def test_a_refused_construction_releases_what_it_was_given_at_once():
    freed: list[str] = []
    with pytest.raises(TypeError, match="argument 'repairs'"):
        ParsedArgs({}, [Repair("p", "k", Noted(freed), 2), 1])
    assert freed == ["freed"]


@pytest.mark.parametrize(
    "refused",
    [
        lambda: ParsedArgs({}, [1]),
        lambda: ROAD.parse('{"city": "Paris"}', mode="bogus"),
        lambda: ROAD.parse('{"city": 5}', mode="strict"),
    ],
    ids=["construction", "mode", "arguments"],
)
def test_refusals_hold_no_reference_to_their_exception_types(refused):
    # An error made lazily is released as it is raised, not kept in PyO3's pool of references
    # for some later call to release: a loop of refusals alone would otherwise grow it.
    counts = (sys.getrefcount(TypeError), sys.getrefcount(ValueError))
    for _ in range(1_000):
        with pytest.raises((TypeError, ValueError)):
            refused()
    assert (sys.getrefcount(TypeError), sys.getrefcount(ValueError)) == counts


def test_repairs_are_read_from_any_iterable_as_tuple_reads_it():
    class RaisingLengthHint:
        def __init__(self, items):
            self.items = iter(items)

        def __iter__(self):
            return self

        def __next__(self):
            return next(self.items)

        def __length_hint__(self):
            raise ValueError("no hint")

    repair = Repair("days", "string_to_integer", "3", 3)
    assert ParsedArgs({}, (item for item in [repair])).repairs == [repair]
    unraisable: list[object] = []
    hook, sys.unraisablehook = sys.unraisablehook, unraisable.append
    try:
        with pytest.raises(ValueError, match="no hint"):
            tuple(RaisingLengthHint([repair]))
        with pytest.raises(ValueError, match="no hint"):
            ParsedArgs({}, RaisingLengthHint([repair]))
    finally:
        sys.unraisablehook = hook
    assert unraisable == []
