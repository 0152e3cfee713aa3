#!/usr/bin/env python3
"""Compares an engine's reading of a Parquet export (JSON lines from read_parquet.mjs or
read_parquet_chdb.mjs) with `colquery dump` of the same tables: the row count, per-column sums
of the numeric columns, and every row (both sides sorted by the table's key) value by value.

  compare.py [--null-list-as-empty] READER_OUTPUT DUMP_DIR
      (DUMP_DIR/<table>.copy: colquery dump, COPY text)

--null-list-as-empty: for ClickHouse, whose arrays cannot be NULL (no Nullable(Array)): it
reads a NULL text[] as an empty array, so a NULL in the dump is expected as [] there.

Dump values are parsed as PostgreSQL prints them (COPY text escapes, timestamptz, numeric,
booleans, text[] literals) into the reader's representation, chosen by the reader's column
type. Prints one line per table and exits 1 on the first difference.
"""
import datetime
import json
import sys
from decimal import Decimal

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
ESC = {'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t', 'v': '\v', '\\': '\\'}


def unescape(s):
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == '\\' and i + 1 < len(s):
            n = s[i + 1]
            if n in ESC:
                out.append(ESC[n])
                i += 2
                continue
            out.append(n)
            i += 2
            continue
        out.append(c)
        i += 1
    return ''.join(out)


def ts_us(s):
    # 2025-01-01 00:00:58.904+00 (PostgreSQL, TimeZone UTC)
    assert s.endswith('+00'), s
    s = s[:-3]
    if '.' in s:
        base, frac = s.split('.')
    else:
        base, frac = s, ''
    d = datetime.datetime.strptime(base, '%Y-%m-%d %H:%M:%S').replace(tzinfo=datetime.timezone.utc)
    delta = d - EPOCH
    us = (delta.days * 86400 + delta.seconds) * 1000000
    return us + int((frac + '000000')[:6])


def pg_array(s):
    assert s[0] == '{' and s[-1] == '}', s
    body, out, i = s[1:-1], [], 0
    if body == '':
        return out
    while True:
        if body[i] == '"':
            i += 1
            cur = []
            while body[i] != '"':
                if body[i] == '\\':
                    i += 1
                cur.append(body[i])
                i += 1
            i += 1
            out.append(''.join(cur))
        else:
            j = i
            while j < len(body) and body[j] != ',':
                j += 1
            word = body[i:j]
            out.append(None if word.upper() == 'NULL' else word)
            i = j
        if i >= len(body):
            return out
        assert body[i] == ',', s
        i += 1


def from_dump(text, ty):
    if text == '\\N':
        return None
    v = unescape(text)
    if ty in ('INTEGER', 'SMALLINT', 'BIGINT'):
        return int(v)
    if ty.startswith('DECIMAL'):
        return Decimal(v)
    if ty.startswith('TIMESTAMP'):
        return ts_us(v)
    if ty == 'BOOLEAN':
        return v == 't'
    if ty.endswith('[]'):
        return pg_array(v)
    return v


def from_reader(v, ty):
    if v is None:
        return None
    if ty in ('INTEGER', 'SMALLINT', 'BIGINT'):
        return int(v)
    if ty.startswith('TIMESTAMP'):
        return int(v)
    if ty.startswith('DECIMAL'):
        return Decimal(v)  # numerically: 1.5 and 1.50 are one value
    return v


def key_of(table, row, names):
    if table == 'agg_agent_daily_performance':
        return (row[names.index('agent_key')], row[names.index('time_key')])
    return (row[0],)


def main():
    args = sys.argv[1:]
    null_list_empty = '--null-list-as-empty' in args
    args = [a for a in args if a != '--null-list-as-empty']
    reader, dump_dir = args[0], args[1]
    tables, cur = [], None
    with open(reader) as f:
        for line in f:
            obj = json.loads(line)
            if isinstance(obj, dict):
                cur = {'table': obj['table'], 'columns': obj['columns'], 'rows': []}
                tables.append(cur)
            else:
                cur['rows'].append(obj)
    failed = False
    for t in tables:
        name = t['table']
        names = [c[0] for c in t['columns']]
        types = [c[1] for c in t['columns']]
        got = [[from_reader(v, ty) for v, ty in zip(r, types)] for r in t['rows']]
        want = []
        with open(f'{dump_dir}/{name}.copy', encoding='utf-8') as f:
            for line in f.read().split('\n')[:-1]:
                fields = line.split('\t')
                if len(fields) != len(types):
                    print(f'{name}: the reader has {len(types)} columns, the dump {len(fields)}')
                    return 1
                row = [from_dump(x, ty) for x, ty in zip(fields, types)]
                if null_list_empty:
                    row = [[] if v is None and ty.endswith('[]') else v for v, ty in zip(row, types)]
                want.append(row)
        got.sort(key=lambda r: key_of(name, r, names))
        want.sort(key=lambda r: key_of(name, r, names))
        if len(got) != len(want):
            print(f'FAIL {name}: {len(got)} rows read, the dump has {len(want)}')
            failed = True
            continue
        sums = []
        for j, ty in enumerate(types):
            if ty in ('INTEGER', 'SMALLINT', 'BIGINT') or ty.startswith('DECIMAL'):
                conv = int if not ty.startswith('DECIMAL') else Decimal
                a = sum(conv(r[j]) for r in got if r[j] is not None)
                b = sum(conv(r[j]) for r in want if r[j] is not None)
                if a != b:
                    print(f'FAIL {name}.{names[j]}: sum {a}, the dump {b}')
                    failed = True
                sums.append(f'{names[j]}={a}')
        for i, (g, w) in enumerate(zip(got, want)):
            if g != w:
                for j in range(len(g)):
                    if g[j] != w[j]:
                        print(f'FAIL {name} row {i} ({names[0]}={w[0]}): {names[j]}: read {g[j]!r}, '
                              f'dump {w[j]!r}')
                        break
                failed = True
                break
        else:
            print(f'ok {name}: {len(got)} rows, every value equal; sums {" ".join(sums[:4])}')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
