"""Result encoding: toolproof.to_json against json.dumps and orjson.dumps, side by side in one run.

Sections:
  mixed  a ~1 MB list of order records with datetime and Decimal fields, Python objects to JSON text
  plain  the same records with those fields already as plain JSON types, for context

Every candidate returns a ``str``; orjson's bytes are decoded, as a caller sending text would.
Run it alone (``python tests/benchmarks/bench_encode.py [--quick] [--json]``) or through run.py.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import orjson
import toolproof
from harness import Candidate, Target, main, timing_section

BENCHMARK = "encode"
TARGET_BYTES = 1_000_000

TOOLPROOF = "toolproof.to_json"
JSON_DUMPS = "json.dumps(default=...)"
ORJSON_DUMPS = "orjson.dumps(default=...).decode()"

STATUSES = ("pending", "paid", "shipped", "delivered", "refunded")
CITIES = ("Lyon", "Zürich", "São Paulo", "Osaka", "Toronto", "Nairobi", "Kraków")
WORDS = ("blue", "large", "organic", "gift", "express", "fragile", "bulk", "eco", "sale")


def order(rng: random.Random, number: int) -> dict[str, Any]:
    """One record as a tool might return it: nested dicts, lists, and every scalar kind."""
    created = datetime(2024, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=rng.randrange(40_000_000))
    items = [
        {
            "sku": f"SKU-{rng.randrange(100_000):05d}",
            "name": " ".join(rng.sample(WORDS, 2)),
            "quantity": rng.randrange(1, 10),
            "unit_price": Decimal(rng.randrange(100, 50_000)) / 100,
            "discount": round(rng.random() * 0.3, 3),
        }
        for _ in range(rng.randrange(1, 4))
    ]
    return {
        "id": 10_000_000 + number,
        "status": rng.choice(STATUSES),
        "customer": {
            "name": f"Customer {rng.randrange(1_000_000)}",
            "email": f"user{number}@example.com",
            "city": rng.choice(CITIES),
            "vip": rng.random() < 0.1,
        },
        "items": items,
        "total": sum((item["unit_price"] * item["quantity"] for item in items), Decimal("0.00")),
        "currency": "EUR",
        "created_at": created,
        "updated_at": (
            created + timedelta(hours=rng.randrange(1, 500), microseconds=rng.randrange(1_000_000))
        ).replace(tzinfo=None),
        "delivery_date": (created + timedelta(days=rng.randrange(1, 15))).date()
        if rng.random() < 0.5
        else None,
        "rating": round(rng.random() * 5, 2) if rng.random() < 0.7 else None,
        "notes": None,
    }


def json_default(value: object) -> object:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def orjson_default(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def orders_of_about(target_bytes: int) -> list[dict[str, Any]]:
    rng = random.Random(20240506)
    sample = [order(rng, number) for number in range(200)]
    per_record = len(toolproof.to_json(sample)) / len(sample)
    rng = random.Random(20240506)
    return [order(rng, number) for number in range(round(target_bytes / per_record))]


def plain(value: Any, decimal: Callable[[Decimal], object]) -> Any:
    """`value` with datetimes and dates as ISO text and Decimals through `decimal`."""
    if isinstance(value, dict):
        return {key: plain(item, decimal) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item, decimal) for item in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return decimal(value)
    return value


def check(records: list[dict[str, Any]], candidates: list[Candidate]) -> list[Candidate]:
    """Run each candidate once and compare what it wrote, so no row is fast because it does less.

    toolproof writes a Decimal as a number, the others (through their default) as a string.
    """
    as_numbers = plain(records, float)
    as_strings = plain(records, str)
    for candidate in candidates:
        text = candidate.call()
        if not isinstance(text, str):
            raise AssertionError(f"{candidate.name} returned {type(text).__name__}, not str")
        expected = as_numbers if candidate.name.startswith("toolproof") else as_strings
        if json.loads(text) != expected:
            raise AssertionError(f"{candidate.name} wrote something else")
    return candidates


def candidates_for(records: list[dict[str, Any]]) -> list[Candidate]:
    return [
        Candidate(TOOLPROOF, lambda: toolproof.to_json(records), "str"),
        Candidate(JSON_DUMPS, lambda: json.dumps(records, default=json_default), "str"),
        Candidate(ORJSON_DUMPS, lambda: orjson.dumps(records, default=orjson_default).decode(), "str"),
    ]


def count_kinds(value: Any, counts: dict[str, int]) -> None:
    if isinstance(value, dict):
        for item in value.values():
            count_kinds(item, counts)
    elif isinstance(value, list):
        for item in value:
            count_kinds(item, counts)
    elif isinstance(value, datetime):
        counts["aware_datetimes" if value.tzinfo else "naive_datetimes"] += 1
    elif isinstance(value, date):
        counts["dates"] += 1
    elif isinstance(value, Decimal):
        counts["decimals"] += 1


def mixed_section(records: list[dict[str, Any]], quick: bool) -> dict[str, Any]:
    size = len(toolproof.to_json(records).encode())
    counts = {"aware_datetimes": 0, "naive_datetimes": 0, "dates": 0, "decimals": 0}
    count_kinds(records, counts)
    return timing_section(
        benchmark=BENCHMARK,
        section="mixed",
        title=f"{len(records):,} order records with datetimes and Decimals ({size / 1e6:.2f} MB of JSON)",
        candidates=check(records, candidates_for(records)),
        reference=TOOLPROOF,
        targets=[
            Target("toolproof >=3x faster than json.dumps(default=...)", against=(JSON_DUMPS,), at_least=3.0),
            Target(
                "toolproof within 1.5x of orjson.dumps(default=...)",
                against=(ORJSON_DUMPS,),
                at_least=1 / 1.5,
            ),
        ],
        notes=[
            f"{counts['aware_datetimes']:,} aware datetimes (UTC), {counts['naive_datetimes']:,} naive ones, "
            f"{counts['dates']:,} dates and {counts['decimals']:,} Decimals; json.dumps converts them in "
            "its default, orjson writes dates and datetimes itself and converts Decimals in its default",
            "toolproof writes Decimals as JSON numbers, the others as strings (what their default "
            "returns); every output is checked once against the records before timing",
            "json.dumps writes with its default separators (', ' and ': '); the others write compact JSON",
            "one 8 MB block is freed before timing, so glibc's malloc reuses heap memory for every "
            "candidate rather than faulting in fresh pages (see settle_the_allocator)",
        ],
        facts={"records": len(records), "bytes": size, **counts},
        quick=quick,
    )


def plain_section(records: list[dict[str, Any]], quick: bool) -> dict[str, Any]:
    plain_records = plain(records, float)
    size = len(toolproof.to_json(plain_records).encode())
    return timing_section(
        benchmark=BENCHMARK,
        section="plain",
        title=f"the same records in plain JSON types only ({size / 1e6:.2f} MB of JSON)",
        candidates=[
            Candidate(TOOLPROOF, lambda: toolproof.to_json(plain_records), "str"),
            Candidate("json.dumps", lambda: json.dumps(plain_records), "str"),
            Candidate("orjson.dumps().decode()", lambda: orjson.dumps(plain_records).decode(), "str"),
        ],
        reference=TOOLPROOF,
        notes=["for context, no target: the datetimes and Decimals pre-converted to ISO text and floats"],
        facts={"records": len(plain_records), "bytes": size},
        quick=quick,
    )


def settle_the_allocator() -> None:
    """Free one large block first, as a long-running process will have done.

    glibc's malloc serves large blocks from fresh mappings, every page faulted in on first touch,
    until a block of that size has been freed; from then on it reuses heap memory. A candidate
    measured before that point pays hundreds of page faults per megabyte it allocates, whichever
    candidate it is, and which one gets there first depends on the order they run in.
    """
    block = bytearray(8 * TARGET_BYTES)
    del block


def run(quick: bool) -> list[dict[str, Any]]:
    records = orders_of_about(TARGET_BYTES)
    settle_the_allocator()
    return [mixed_section(records, quick), plain_section(records, quick)]


if __name__ == "__main__":
    raise SystemExit(
        main(run, description="Result encoding: toolproof against the alternatives, side by side.")
    )
