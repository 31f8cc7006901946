#!/usr/bin/env python3
"""Python baselines for Benchmarks/schema.sh: validations per second of `jsonschema` (Draft202012Validator) and
`fastjsonschema` (compiled once) on one schema and one instance file.

Usage: bench.py SCHEMA INSTANCE [--seconds N] [--format-assertion]

Prints one line per (library, mode):
  python <lib> <mode> validations_per_s=... us_per_validation=... iterations=... seconds=...
mode "parse+validate" runs json.loads on the file's bytes each time (what the Swift side does: bytes -> verdict);
mode "validate" validates an instance parsed once.

Format assertion: with --format-assertion, jsonschema gets FormatChecker() (date-time is checked only when
rfc3339-validator is installed, which schema.sh does) and fastjsonschema use_formats=True; without it, neither
checks formats. The instance must be valid (we measure the path a good request takes)."""
import argparse
import json
import sys
import time

import fastjsonschema
import jsonschema
from jsonschema import Draft202012Validator, FormatChecker


def measure(fn, seconds):
    """Runs fn in batches until `seconds` have passed; returns (iterations, elapsed)."""
    for _ in range(20):   # warm-up
        fn()
    batch, iterations = 1, 0
    start = time.perf_counter()
    while True:
        for _ in range(batch):
            fn()
        iterations += batch
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return iterations, elapsed
        if elapsed < 0.05:
            batch *= 2


def main():
    p = argparse.ArgumentParser()
    p.add_argument("schema")
    p.add_argument("instance")
    p.add_argument("--seconds", type=float, default=3.0)
    p.add_argument("--format-assertion", action="store_true")
    p.add_argument("--only", choices=["jsonschema", "fastjsonschema"])
    args = p.parse_args()

    with open(args.schema, "rb") as f:
        schema = json.loads(f.read())
    with open(args.instance, "rb") as f:
        raw = f.read()
    parsed = json.loads(raw)

    Draft202012Validator.check_schema(schema)
    checker = FormatChecker() if args.format_assertion else None
    validator = Draft202012Validator(schema, format_checker=checker)
    fast = fastjsonschema.compile(schema, use_formats=args.format_assertion)

    libs = {
        "jsonschema": validator.is_valid,
        "fastjsonschema": fast,   # returns the instance, raises JsonSchemaValueException if invalid
    }
    if not validator.is_valid(parsed):
        sys.exit("%s is not valid for jsonschema: %s" % (args.instance, jsonschema.exceptions.best_match(
            validator.iter_errors(parsed))))
    fast(parsed)
    if args.format_assertion and "date-time" not in checker.checkers:
        sys.exit("jsonschema cannot check date-time: install rfc3339-validator")

    for name, check in libs.items():
        if args.only and name != args.only:
            continue
        for mode, fn in (("parse+validate", lambda: check(json.loads(raw))), ("validate", lambda: check(parsed))):
            n, elapsed = measure(fn, args.seconds)
            print("python %s %s validations_per_s=%.1f us_per_validation=%.2f iterations=%d seconds=%.2f"
                  % (name, mode, n / elapsed, 1e6 * elapsed / n, n, elapsed), flush=True)


if __name__ == "__main__":
    main()
