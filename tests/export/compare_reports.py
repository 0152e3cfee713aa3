#!/usr/bin/env python3
"""Compares reports run by another engine over a Parquet export (output of
run_reports_chdb.mjs: "== NAME" then CSV with a header) with colquery's (a directory of
NAME.csv from `colquery --format csv NAME`): the same header, the same rows in the same
order, every field equal (CSV quoting aside; decimals compared as numbers).

  compare_reports.py ENGINE_OUTPUT COLQUERY_DIR
"""
import csv
import io
import sys
from decimal import Decimal, InvalidOperation


def norm(v):
    if v in ('\\N', ''):  # NULL: ClickHouse's CSV writes \N, psql --csv an empty field
        return None
    try:
        return Decimal(v)
    except InvalidOperation:
        return v


def main():
    engine, ours = sys.argv[1], sys.argv[2]
    parts, name, buf = {}, None, []
    for line in open(engine, encoding='utf-8').read().split('\n'):
        if line.startswith('== '):
            if name:
                parts[name] = '\n'.join(buf)
            name, buf = line[3:], []
        else:
            buf.append(line)
    if name:
        parts[name] = '\n'.join(buf)
    bad = 0
    for name, text in parts.items():
        got = [r for r in csv.reader(io.StringIO(text)) if r]
        want = [r for r in csv.reader(open(f'{ours}/{name}.csv', encoding='utf-8')) if r]
        if got[0] != want[0]:
            print(f'FAIL {name}: header {got[0]} vs {want[0]}')
            bad += 1
            continue
        if len(got) != len(want):
            print(f'FAIL {name}: {len(got) - 1} rows, colquery {len(want) - 1}')
            bad += 1
            continue
        for i, (g, w) in enumerate(zip(got, want)):
            if [norm(x) for x in g] != [norm(x) for x in w]:
                print(f'FAIL {name} row {i}: {g} vs {w}')
                bad += 1
                break
        else:
            print(f'ok {name}: {len(got) - 1} rows equal')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
