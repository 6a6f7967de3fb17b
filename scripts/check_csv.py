#!/usr/bin/env python3
"""Checks a CSV written by `celltrack export csv` with Python's standard csv module.

usage: check_csv.py FILE EXPECTED_DATA_ROWS
Exits 0 and prints "ok ROWS COLUMNS" when the file parses as RFC 4180 (strict mode), has a header,
every record has the header's width, the data row count is as expected, and every field that looks
numeric parses as a float. Run by CLITests when python3 exists.
"""
import csv
import re
import sys

NUMBER = re.compile(r"^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^-?inf$")


def main() -> int:
    path, expected = sys.argv[1], int(sys.argv[2])
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f, dialect="excel", strict=True))
    if not rows:
        print("empty file", file=sys.stderr)
        return 1
    header, data = rows[0], rows[1:]
    if len(set(header)) != len(header):
        print(f"duplicate column names: {header}", file=sys.stderr)
        return 1
    for i, row in enumerate(data):
        if len(row) != len(header):
            print(f"record {i + 1} has {len(row)} fields, header has {len(header)}", file=sys.stderr)
            return 1
        for value in row:
            if NUMBER.match(value):
                float(value)
    if len(data) != expected:
        print(f"{len(data)} data rows, expected {expected}", file=sys.stderr)
        return 1
    print(f"ok {len(data)} {len(header)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
