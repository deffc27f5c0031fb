#!/usr/bin/env python3
"""Baseline for `npm run bench`: what an administrator would write to find relay rejections.

Reads an Exchange message tracking log with the `csv` module, takes the column names from the
`#Fields:` line, keeps the rows whose recipient-status contains 5.7.64 and writes them to stdout
as CSV. Prints {"rows": N, "hits": M} as one JSON line to stderr.

    python3 bench/baseline.py MSGTRK2026112700-1.LOG > hits.csv
"""
import csv
import json
import sys


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: baseline.py TRACKING_LOG", file=sys.stderr)
        return 2

    fields = None

    def data_lines(f):
        nonlocal fields
        for line in f:
            if line.startswith("#"):
                if line.startswith("#Fields:"):
                    fields = next(csv.reader([line[len("#Fields:"):].strip()]))
                continue
            yield line

    rows = 0
    hits = 0
    with open(sys.argv[1], encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(data_lines(f))
        writer = csv.writer(sys.stdout)
        status_col = None
        for row in reader:
            if status_col is None:
                if fields is None:
                    print("no #Fields: line before the data", file=sys.stderr)
                    return 1
                status_col = fields.index("recipient-status")
                writer.writerow(fields)
            rows += 1
            if "5.7.64" in row[status_col]:
                hits += 1
                writer.writerow(row)

    print(json.dumps({"rows": rows, "hits": hits}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
