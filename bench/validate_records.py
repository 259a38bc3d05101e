"""Benchmark: the engine's record validation against bare JSON Schema validators.

Generates a 40-field customer-like entity (metadata in a temporary directory, compiled
by engine.registry.build_registry) and 100,000 records (random.Random(seed)), 5% of
them invalid with 1–3 faults each of different kinds (wrong type, out of range, bad
e-mail, missing required, unknown option). Measures on the same records and the same
schema (`compiled.schema`), best of a few interleaved runs:

* the engine: ``validator.errors(record)`` for every record;
* bare python-jsonschema (``Draft202012Validator`` with a ``FormatChecker``),
  ``list(v.iter_errors(record))`` on a 5,000-record sample of the same mix (it is slow);
* bare jsonschema-rs (``validator_for(schema, validate_formats=True)``),
  ``list(v.iter_errors(record))`` for every record.

Checks the answers too: the engine finds errors in exactly the invalid records, every
error is fully worded, every fault planted is reported, and on the sample
``validator.errors`` and ``validator.reference_errors`` agree on (field, code).

Prints ratios measured in this run; it never passes or fails on a speed threshold
(it exits 1 only when a correctness check fails).

    .venv/bin/python bench/validate_records.py [--quick] [--repeat N] [--wall]
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import tempfile
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import jsonschema
import jsonschema_rs

from engine.compile.validator import RecordValidator
from engine.registry import build_registry

# CPU time of this process by default: the measured work is single-threaded, and other
# processes on a shared machine then disturb it far less than they disturb wall time
now = time.process_time
CLOCKS = {time.process_time: "CPU time of this process", time.perf_counter: "wall time"}

SEED = 20240601
SAMPLE = 5_000
INVALID_EVERY = 20  # one invalid record in each block of 20: 5%, also in any 20-aligned slice

# name, input type, extra keys (YAML flow text), group
FIELDS: list[tuple[str, str, str]] = [
    ("customer_name", "text", "required: true, searchable: true, max_length: 120"),
    ("customer_number", "text", "required: true, max_length: 20, pattern: 'CUST-[0-9]{5}'"),
    ("customer_type", "select", "required: true, options: [company, person, government]"),
    ("email", "email", "required: true"),
    ("opening_date", "date", "required: true"),
    ("legal_name", "text", "max_length: 200"),
    ("alias", "text", "max_length: 60"),
    ("billing_email", "email", ""),
    ("phone", "phone", ""),
    ("mobile", "phone", ""),
    ("fax", "phone", ""),
    ("employees", "integer", "min: 0, max: 1000000"),
    ("payment_days", "integer", "min: 0, max: 365"),
    ("priority", "integer", "min: 1, max: 5"),
    ("discount_rate", "decimal", "min: 0, max: 100, precision: 2"),
    ("latitude", "decimal", "min: -90, max: 90, precision: 6"),
    ("longitude", "decimal", "min: -180, max: 180, precision: 6"),
    ("credit_limit", "currency", "min: 0"),
    ("balance", "currency", ""),
    ("annual_revenue", "currency", "min: 0"),
    ("last_order_date", "date", ""),
    ("first_order_date", "date", ""),
    ("last_contact_at", "datetime", ""),
    ("next_review_at", "datetime", ""),
    ("on_hold", "switch", ""),
    ("tax_exempt", "switch", ""),
    ("newsletter", "switch", ""),
    ("price_level", "select", "options: [A, B, C, D]"),
    (
        "country",
        "select",
        "options: [{value: US, label: United States}, {value: DE, label: Germany}, "
        "{value: FR, label: France}, {value: GB, label: United Kingdom}, "
        "{value: JP, label: Japan}, {value: BR, label: Brazil}, {value: IN, label: India}]",
    ),
    ("currency_code", "select", "options: [USD, EUR, GBP, JPY, BRL, INR]"),
    ("language", "select", "options: [en, de, fr, ja, pt, hi]"),
    ("industry", "select", "options: [retail, wholesale, manufacturing, services, public]"),
    (
        "tax_reg_no",
        "text",
        "max_length: 14, pattern: '[A-Z]{2}[0-9]{8,12}', "
        "required_if: \"customer_type == 'company' and not tax_exempt\"",
    ),
    ("postal_code", "text", "max_length: 12"),
    ("city", "text", "max_length: 80"),
    ("address_line_1", "text", "max_length: 120"),
    ("address_line_2", "text", "max_length: 120"),
    ("sales_rep", "text", "max_length: 60"),
    ("notes", "text", "max_length: 500"),
    ("website_label", "text", "max_length: 100"),
]
REQUIRED = ("customer_name", "customer_number", "customer_type", "email", "opening_date")
TYPES = {name: kind for name, kind, _ in FIELDS}
OPTIONS = {
    "customer_type": ["company", "person", "government"],
    "price_level": ["A", "B", "C", "D"],
    "country": ["US", "DE", "FR", "GB", "JP", "BR", "IN"],
    "currency_code": ["USD", "EUR", "GBP", "JPY", "BRL", "INR"],
    "language": ["en", "de", "fr", "ja", "pt", "hi"],
    "industry": ["retail", "wholesale", "manufacturing", "services", "public"],
}
RANGES = {
    "employees": (0, 1_000_000),
    "payment_days": (0, 365),
    "priority": (1, 5),
    "discount_rate": (0, 100),
    "latitude": (-90, 90),
    "longitude": (-180, 180),
    "credit_limit": (0, None),
    "annual_revenue": (0, None),
}
MAX_LENGTH = {
    "customer_name": 120,
    "legal_name": 200,
    "alias": 60,
    "postal_code": 12,
    "city": 80,
    "address_line_1": 120,
    "address_line_2": 120,
    "sales_rep": 60,
    "notes": 500,
    "website_label": 100,
}
WORDS = (
    "acme global north south river stone bakery trading supply works union harbor "
    "summit pioneer atlas delta crown maple cedar orchid falcon lotus copper silver"
).split()
GROUPS = ("ENTITY", "CONTACT", "FINANCE", "OTHER")
BAD_EMAILS = ("no-at-sign.example.com", "a@b", "a b@c.d", "name@@example.com")


# the metadata


def write_metadata(root: Path) -> None:
    (root / "entities").mkdir(parents=True)
    (root / "tenants" / "bench").mkdir(parents=True)
    comment = "# yaml-language-server: $schema={}engine/schema/metadata.schema.json\n"
    (root / "groups.yaml").write_text(
        comment.format("../")
        + "groups:\n"
        + "".join(
            f"  {code}: {{label: {code.title()}, order: {10 * (i + 1)}, layout: section}}\n"
            for i, code in enumerate(GROUPS)
        ),
        encoding="utf-8",
    )
    (root / "tenants" / "bench" / "tenant.yaml").write_text(
        comment.format("../../../") + "tenant: bench\nlabel: Bench\n", encoding="utf-8"
    )
    lines = [
        comment.format("../../"),
        "entity: customer\nlabel: Customer\nplural: Customers\ntitle_field: customer_name\n",
        "fields:\n",
    ]
    for index, (name, kind, extra) in enumerate(FIELDS):
        label = name.replace("_", " ").title()
        group = GROUPS[index * len(GROUPS) // len(FIELDS)]
        keys = f"name: {name}, sequence: {10 * (index + 1)}, label: {label}, "
        keys += f"input_type: {kind}, group: {group}"
        lines.append(f"  - {{{keys}{', ' + extra if extra else ''}}}\n")
    (root / "entities" / "customer.yaml").write_text("".join(lines), encoding="utf-8")


# the records


def _words(rng: random.Random, count: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(count)).title()


def _date(rng: random.Random) -> str:
    return f"{rng.randint(1990, 2025)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def _datetime(rng: random.Random) -> str:
    offset = rng.choice(("Z", "+00:00", "+02:00", "-05:00"))
    return f"{_date(rng)}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00{offset}"


def _phone(rng: random.Random) -> str:
    return f"+1 ({rng.randint(200, 999)}) {rng.randint(100, 999)}-{rng.randint(1000, 9999)}"


def _email(rng: random.Random, index: int) -> str:
    return f"{rng.choice(WORDS)}.{rng.choice(WORDS)}{index}@{rng.choice(WORDS)}.example.com"


def valid_record(rng: random.Random, index: int) -> dict:
    """A valid customer; optional fields are sometimes left out or null."""
    kind = rng.choice(OPTIONS["customer_type"])
    exempt = rng.random() < 0.2
    record: dict = {
        "customer_name": _words(rng, 3),
        "customer_number": f"CUST-{index % 100_000:05d}",
        "customer_type": kind,
        "email": _email(rng, index),
        "opening_date": _date(rng),
        "tax_exempt": exempt,
    }
    if (kind == "company" and not exempt) or rng.random() < 0.3:
        record["tax_reg_no"] = f"{rng.choice(('DE', 'FR', 'US'))}{rng.randint(10**8, 10**10)}"
    optional: dict[str, Callable[[], object]] = {
        "legal_name": lambda: _words(rng, 4) + " Ltd",
        "alias": lambda: _words(rng, 1),
        "billing_email": lambda: _email(rng, index + 1),
        "phone": lambda: _phone(rng),
        "mobile": lambda: _phone(rng),
        "fax": lambda: _phone(rng),
        "employees": lambda: rng.randint(1, 50_000),
        "payment_days": lambda: rng.choice((0, 15, 30, 45, 60, 90)),
        "priority": lambda: rng.randint(1, 5),
        "discount_rate": lambda: round(rng.uniform(0, 30), 2),
        "latitude": lambda: round(rng.uniform(-90, 90), 6),
        "longitude": lambda: round(rng.uniform(-180, 180), 6),
        "credit_limit": lambda: rng.randint(0, 200) * 500,
        "balance": lambda: round(rng.uniform(-5_000, 50_000), 2),
        "annual_revenue": lambda: round(rng.uniform(0, 1e8), 2),
        "last_order_date": lambda: _date(rng),
        "first_order_date": lambda: _date(rng),
        "last_contact_at": lambda: _datetime(rng),
        "next_review_at": lambda: _datetime(rng),
        "on_hold": lambda: rng.random() < 0.05,
        "newsletter": lambda: rng.random() < 0.5,
        "price_level": lambda: rng.choice(OPTIONS["price_level"]),
        "country": lambda: rng.choice(OPTIONS["country"]),
        "currency_code": lambda: rng.choice(OPTIONS["currency_code"]),
        "language": lambda: rng.choice(OPTIONS["language"]),
        "industry": lambda: rng.choice(OPTIONS["industry"]),
        "postal_code": lambda: f"{rng.randint(10000, 99999)}",
        "city": lambda: _words(rng, 1),
        "address_line_1": lambda: f"{rng.randint(1, 999)} {_words(rng, 2)} Street",
        "address_line_2": lambda: f"Suite {rng.randint(1, 99)}",
        "sales_rep": lambda: _words(rng, 2),
        "notes": lambda: _words(rng, rng.randint(3, 30)),
        "website_label": lambda: _words(rng, 2),
    }
    for name, make in optional.items():
        draw = rng.random()
        if draw < 0.75:
            record[name] = make()
        elif draw < 0.85:
            record[name] = None
    return record


def _condition_holds(record: dict) -> bool:
    """tax_reg_no's required_if: customer_type == 'company' and not tax_exempt."""
    return record.get("customer_type") == "company" and not record.get("tax_exempt")


# a fault: (kind, field, how to break the record) → the (field, code) the engine must report
Fault = tuple[str, str, Callable[[dict], None], str]


def fault_candidates(rng: random.Random, record: dict) -> dict[str, list[Fault]]:
    """Every fault of each kind that can be planted in this valid record."""

    def put(name: str, value: object) -> Callable[[dict], None]:
        return lambda r: r.__setitem__(name, value)

    def drop(name: str) -> Callable[[dict], None]:
        return lambda r: r.pop(name, None)

    wrong_type: list[Fault] = []
    for name, kind in TYPES.items():
        if name in ("customer_type", "tax_exempt"):
            continue  # they decide tax_reg_no's condition; keep the expectation simple
        if kind in ("integer", "decimal", "currency"):
            wrong_type.append(("wrong_type", name, put(name, rng.choice(("12a", "n/a"))), "type"))
        elif kind in ("text", "email", "phone", "date", "datetime"):
            wrong_type.append(("wrong_type", name, put(name, rng.randint(1, 999)), "type"))
        elif kind == "switch":
            wrong_type.append(("wrong_type", name, put(name, rng.choice(("yes", "1"))), "type"))
    out_of_range: list[Fault] = []
    for name, (low, high) in RANGES.items():
        if high is not None and rng.random() < 0.5:
            out_of_range.append(("out_of_range", name, put(name, high + rng.randint(1, 99)), "max"))
        else:
            out_of_range.append(("out_of_range", name, put(name, low - rng.randint(1, 99)), "min"))
    for name, limit in MAX_LENGTH.items():
        out_of_range.append(("out_of_range", name, put(name, "x" * (limit + 1)), "max_length"))
    bad_email: list[Fault] = [
        ("bad_email", name, put(name, rng.choice(BAD_EMAILS)), "format")
        for name in ("email", "billing_email")
    ]
    missing: list[Fault] = [("missing_required", name, drop(name), "required") for name in REQUIRED]
    missing += [
        ("missing_required", name, put(name, ""), "required")
        for name in ("customer_name", "customer_number", "email")
    ]
    if _condition_holds(record):
        missing.append(("missing_required", "tax_reg_no", drop("tax_reg_no"), "required"))
        missing.append(("missing_required", "tax_reg_no", put("tax_reg_no", None), "required"))
    unknown_option = [
        ("unknown_option", name, put(name, rng.choice(("ZZ", "other", "Company"))), "choice")
        for name in OPTIONS
    ]
    return {
        "wrong_type": wrong_type,
        "out_of_range": out_of_range,
        "bad_email": bad_email,
        "missing_required": missing,
        "unknown_option": unknown_option,
    }


def break_record(rng: random.Random, record: dict) -> set[tuple[str, str]]:
    """Plant 1–3 faults of different kinds on different fields; the (field, code) expected."""
    candidates = fault_candidates(rng, record)
    kinds = rng.sample(sorted(candidates), rng.randint(1, 3))
    expected: set[tuple[str, str]] = set()
    touched: set[str] = set()
    for kind in kinds:
        options = [f for f in candidates[kind] if f[1] not in touched]
        # a missing tax_reg_no is an error only while its condition holds: never change
        # the fields of the condition in the same record
        if "tax_reg_no" in touched:
            options = [f for f in options if f[1] not in ("customer_type", "tax_exempt")]
        if touched & {"customer_type", "tax_exempt"}:
            options = [f for f in options if f[1] != "tax_reg_no"]
        if not options:
            continue
        _, name, apply, code = rng.choice(options)
        apply(record)
        touched.add(name)
        expected.add((name, code))
    return expected


def make_records(count: int, seed: int = SEED) -> tuple[list[dict], list[set]]:
    """The records, and for each the (field, code) pairs the engine must report."""
    rng = random.Random(seed)
    records, expected = [], []
    for block in range(0, count, INVALID_EVERY):
        bad = block + rng.randrange(INVALID_EVERY)
        for index in range(block, min(block + INVALID_EVERY, count)):
            record = valid_record(rng, index)
            faults = break_record(rng, record) if index == bad else set()
            records.append(record)
            expected.append(faults)
    return records, expected


# measuring


def best_times(
    measures: dict[str, tuple[list[dict], Callable[[dict], object]]], chunk: int, repeat: int
) -> dict[str, float]:
    """Each measure's best time over all its records, chunk by chunk.

    Every chunk of records is run `repeat` times by every measure in turn (the order
    rotating), and the best time of each chunk is kept; a measure's time is the sum over
    its chunks. Fine interleaving keeps a busy moment of a shared machine from favouring
    one measure, and short runs give each measure quiet moments to be timed in.
    """
    names = list(measures)
    longest = max(len(records) for records, _ in measures.values())
    best: dict[str, float] = dict.fromkeys(names, 0.0)
    for start in range(0, longest, chunk):
        chunk_best = dict.fromkeys(names, float("inf"))
        for number in range(repeat):
            for name in names[number % len(names) :] + names[: number % len(names)]:
                records, check = measures[name]
                part = records[start : start + chunk]
                if not part or (number >= 2 and name == "python"):
                    continue  # python-jsonschema is slow and steady: two runs are enough
                gc.collect()
                began = now()
                result = [check(record) for record in part]
                elapsed = now() - began
                del result
                chunk_best[name] = min(chunk_best[name], elapsed)
        for name, seconds in chunk_best.items():
            if seconds != float("inf"):
                best[name] += seconds
    return best


def check_answers(
    validator: RecordValidator, records: list[dict], expected: list[set], sample: int
) -> list[str]:
    """Print the correctness checks; return the failures (empty when all hold)."""
    failures: list[str] = []
    answers = [validator.errors(record) for record in records]
    invalid = {i for i, faults in enumerate(expected) if faults}
    flagged = {i for i, errors in enumerate(answers) if errors}
    same = flagged == invalid
    print(
        f"check: records with errors = {len(flagged):,}, invalid records = {len(invalid):,}: "
        f"{'exactly the invalid ones' if same else 'MISMATCH'}"
    )
    if not same:
        failures.append(
            f"flagged but valid: {sorted(flagged - invalid)[:10]}, "
            f"invalid but not flagged: {sorted(invalid - flagged)[:10]}"
        )
    errors = [error for found in answers for error in found]
    incomplete = [e for e in errors if not (e.field and e.label and e.code and e.message)]
    print(
        f"check: {len(errors):,} errors, {len(errors) - len(incomplete):,} with non-empty "
        "field, label, code and message"
    )
    if incomplete:
        failures.append(f"errors with an empty part: {incomplete[:5]}")
    # every fault planted is reported, and nothing on a field no fault touched; a fault may
    # show as more than one error of its field
    missed, stray, more = [], [], []
    for i in sorted(invalid):
        found = {(e.field, e.code) for e in answers[i]}
        touched = {name for name, _ in expected[i]}
        if not expected[i] <= found:
            missed.append(i)
        if {name for name, _ in found} - touched:
            stray.append(i)
        if found - expected[i]:
            more.append(i)
    print(
        f"check: {len(invalid) - len(missed):,} of {len(invalid):,} invalid records report "
        f"every fault planted; {len(stray):,} report errors on fields no fault touched"
    )
    if more:
        example = more[0]
        found = sorted((e.field, e.code) for e in answers[example])
        print(
            f"note:  {len(more):,} invalid records get more than one error on a faulty field, "
            f"e.g. planted {sorted(expected[example])}, found {found}"
        )
    for i in (missed + stray)[:5]:
        found = sorted((e.field, e.code) for e in answers[i])
        failures.append(f"record {i}: planted {sorted(expected[i])}, engine found {found}")
    agree = 0
    for i, record in enumerate(records[:sample]):
        fast = {(e.field, e.code) for e in answers[i]}
        reference = {(e.field, e.code) for e in validator.reference_errors(record)}
        if fast == reference:
            agree += 1
        elif len(failures) < 20:
            failures.append(
                f"record {i}: errors {sorted(fast)} but reference_errors {sorted(reference)}"
            )
    print(
        f"check: errors and reference_errors agree on (field, code) for {agree:,} of "
        f"{min(sample, len(records)):,} sample records"
    )
    return failures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="20,000 records, 2,000 sample")
    parser.add_argument("--records", type=int, help="records (default 100,000)")
    parser.add_argument("--sample", type=int, help="python-jsonschema sample (default 5,000)")
    parser.add_argument("--repeat", type=int, help="runs of each measurement (best is kept)")
    parser.add_argument("--wall", action="store_true", help="time wall clock, not CPU time")
    args = parser.parse_args(argv)
    global now
    now = time.perf_counter if args.wall else time.process_time
    count = args.records or (20_000 if args.quick else 100_000)
    sample = min(count, args.sample or (2_000 if args.quick else SAMPLE))
    repeat = args.repeat or 5

    with tempfile.TemporaryDirectory(prefix="formwork-bench-") as tmp:
        root = Path(tmp) / "metadata"
        write_metadata(root)
        compiled = build_registry(str(root)).tenant("bench").entity("customer")
    validator, schema = compiled.validator, compiled.schema
    inputs = [f for f in compiled.spec.fields if f.system is None]
    assert len(inputs) == 40, len(inputs)

    start = time.perf_counter()
    records, expected = make_records(count)
    made = time.perf_counter() - start
    invalid = sum(1 for faults in expected if faults)
    head = records[:sample]
    print(
        f"entity: customer, {len(inputs)} fields; {count:,} records ({invalid:,} invalid, "
        f"{invalid / count:.1%}) made in {made:.1f} s; sample {sample:,} records "
        f"({sum(1 for f in expected[:sample] if f):,} invalid)"
    )
    print(
        f"python {sys.version.split()[0]}, jsonschema {version('jsonschema')}, "
        f"jsonschema-rs {version('jsonschema-rs')}; each chunk of records timed "
        f"{repeat} times, interleaved, best kept; clock: {CLOCKS[now]}"
    )

    failures = check_answers(validator, records, expected, sample)

    # the 100,000 records are the benchmark's data, not the validators' garbage: move them
    # out of the collector's sight, or every full collection (triggered by the result lists
    # each measurement allocates) would walk them and charge the walk to the validator
    gc.collect()
    gc.freeze()

    python_validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.FormatChecker()
    )
    rs_validator = jsonschema_rs.validator_for(schema, validate_formats=True)
    measures: dict[str, tuple[list[dict], Callable[[dict], object]]] = {
        "engine": (records, validator.errors),
        "rs": (records, lambda r: list(rs_validator.iter_errors(r))),
        "rs_is_valid": (records, rs_validator.is_valid),
        "python": (head, lambda r: list(python_validator.iter_errors(r))),
        "engine_sample": (head, validator.errors),
    }
    chunk = 1_000 if args.quick else 2_500
    best = best_times(measures, chunk, repeat)
    size = {name: len(records) for name, (records, _) in measures.items()}
    rate = {name: size[name] / seconds for name, seconds in best.items()}

    labels = {
        "engine": "engine: validator.errors(record)",
        "rs": "jsonschema-rs: list(iter_errors(record))",
        "rs_is_valid": "jsonschema-rs: is_valid(record) (no errors)",
        "python": "python-jsonschema: list(iter_errors)",
        "engine_sample": "engine on the same sample",
    }
    print()
    print(f"{'measurement':<46} {'records':>8} {'best s':>8} {'records/s':>11}")
    print("-" * 76)
    for name in ("engine", "rs", "rs_is_valid", "python", "engine_sample"):
        print(f"{labels[name]:<46} {size[name]:>8,} {best[name]:>8.3f} {rate[name]:>11,.0f}")
    print()
    print("final table (time per record, engine ÷ other; < 1 means the engine is faster)")
    print(
        f"  engine / jsonschema-rs iter_errors  = {rate['rs'] / rate['engine']:6.2f}×   "
        "(project goal: ≤ 1.5×)"
    )
    print(f"  engine / jsonschema-rs is_valid     = {rate['rs_is_valid'] / rate['engine']:6.2f}×")
    print(
        f"  engine / python-jsonschema          = {rate['python'] / rate['engine']:6.3f}×   "
        f"(the engine is {rate['engine'] / rate['python']:,.0f}× faster)"
    )
    print(
        f"  same sample: engine / python-jsonschema = "
        f"{rate['python'] / rate['engine_sample']:6.3f}×"
    )
    if failures:
        print("\ncorrectness checks FAILED:")
        for failure in failures:
            print(f"  {failure}")
        sys.exit(1)
    print("\nall correctness checks passed")


if __name__ == "__main__":
    main()
