#!/usr/bin/python3
"""Runs each query of a file (one a line) on the native tables and on the foreign ones, and
compares their outputs byte for byte (COPY (query) TO STDOUT, PostgreSQL's own text output).

    compare.py --dsn DSN --native public --foreign analytics [--set GUC=VALUE]... FILE

Prints `ok N: query` or `FAIL N: query` and the first differing lines, and a summary on stderr.
A query that fails on either side is a failure (the generator writes valid SQL only).
"""
import argparse
import sys

import psycopg


def run(conn, query):
    out = bytearray()
    with conn.cursor() as cur:
        with cur.copy(f"COPY ({query}) TO STDOUT") as copy:
            for block in copy:
                out += block
    return bytes(out)


def connect(dsn, schema, settings):
    conn = psycopg.connect(dsn, autocommit=True)
    conn.execute(f"SET search_path = {schema}")
    conn.execute("SET client_min_messages = warning")
    for s in settings:
        k, v = s.split("=", 1)
        conn.execute(f"SET {k} = {v}")
    return conn


def first_diff(a, b):
    la, lb = a.split(b"\n"), b.split(b"\n")
    for i in range(max(len(la), len(lb))):
        x = la[i] if i < len(la) else b"<none>"
        y = lb[i] if i < len(lb) else b"<none>"
        if x != y:
            return f"line {i + 1}: native {x[:200]!r}\n      foreign {y[:200]!r} ({len(la)} vs {len(lb)} lines)"
    return "same lines"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dsn", required=True)
    ap.add_argument("--native", default="public")
    ap.add_argument("--foreign", default="analytics")
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("file")
    a = ap.parse_args()
    native = connect(a.dsn, a.native, a.set)
    foreign = connect(a.dsn, a.foreign, a.set)
    ok = bad = rows = 0
    with open(a.file) as f:
        queries = [q.strip() for q in f if q.strip()]
    for i, q in enumerate(queries, 1):
        try:
            want = run(native, q)
        except psycopg.Error as e:
            print(f"FAIL {i}: native side failed: {e}: {q}")
            bad += 1
            continue
        try:
            got = run(foreign, q)
        except psycopg.Error as e:
            print(f"FAIL {i}: foreign side failed: {e}: {q}")
            bad += 1
            continue
        if want == got:
            ok += 1
            rows += want.count(b"\n")
            print(f"ok {i}: {q}")
        else:
            bad += 1
            print(f"FAIL {i}: {q}\n      {first_diff(want, got)}")
    print(f"compare.py: {ok} equal ({rows} rows), {bad} different", file=sys.stderr)
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
