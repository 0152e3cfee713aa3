#!/usr/bin/python3
"""Faults under a running server, through the foreign tables (tests/fdw/faults.sh runs this).

    faults.py damage --dsn DSN --schema S --store DIR --backup DIR
        One session. The store is damaged in several ways while the session stays open: a byte
        flipped inside a data file, a data file truncated, deleted, the CURRENT file garbled,
        the whole store removed. After each, every table's query fails with an error carrying
        the engine's message and SQLSTATE XX001 (data corrupted) or 58030 (I/O error), the
        session keeps working (SELECT 1), and once the store is restored the same queries
        answer as before.

    faults.py cancels --dsn DSN --schema S --count N
        One session runs a full scan of the largest fact table N times, each cancelled mid-scan
        (statement_timeout of a few milliseconds, and every tenth by a cancel request from
        another thread, as psql's Ctrl-C sends it). The backend's resident memory and open
        files must not grow: measured after the first tenth and at the end.
"""
import argparse
import os
import random
import shutil
import sys
import threading
import time

import psycopg

TABLES = ["dim_agent", "dim_time", "dim_conversation", "dim_user", "fact_agent_query",
          "fact_approval", "fact_training", "agg_agent_daily_performance"]
FAILURES = 0


def check(ok, what):
    global FAILURES
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        FAILURES += 1


def answers(cur, schema):
    out = {}
    for t in TABLES:
        cur.execute(f"SELECT count(*), md5(string_agg(x::text, ',' ORDER BY x::text)) "
                    f"FROM {schema}.{t} x")
        out[t] = cur.fetchone()
    return out


def expect_errors(conn, schema, what):
    """Every table's query fails cleanly; returns the distinct (sqlstate, message) seen."""
    seen = set()
    for t in TABLES:
        try:
            conn.execute(f"SELECT count(*), sum(length(x::text)) FROM {schema}.{t} x").fetchone()
            # a dimension the damage did not touch may still answer
            seen.add(("answered", t))
        except psycopg.Error as e:
            seen.add((e.sqlstate, (e.diag.message_primary or "")[:120]))
        alive = conn.execute("SELECT 1").fetchone() == (1,)
        if not alive:
            check(False, f"{what}: the session died after querying {t}")
            return seen
    errors = [s for s in seen if s[0] != "answered"]
    check(len(errors) > 0 and all(s[0] in ("XX001", "58030") for s in errors),
          f"{what}: errors {sorted(errors)}")
    return seen


def data_files(store):
    d = os.path.join(store, "data")
    files = [os.path.join(d, f) for f in os.listdir(d) if f.endswith(".cseg")]
    return sorted(files, key=os.path.getsize, reverse=True)


def restore(store, backup):
    shutil.rmtree(store, ignore_errors=True)
    shutil.copytree(backup, store, symlinks=True)
    os.system(f"chmod -R a+rX '{store}'")


def damage(a):
    conn = psycopg.connect(a.dsn, autocommit=True)
    cur = conn.cursor()
    base = answers(cur, a.schema)
    check(base["fact_agent_query"][0] > 0, f"baseline: {base['fact_agent_query'][0]} query facts")

    def flip():
        f = data_files(a.store)[0]
        with open(f, "r+b") as fh:
            fh.seek(os.path.getsize(f) // 2)
            b = fh.read(1)
            fh.seek(-1, 1)
            fh.write(bytes([b[0] ^ 0x40]))

    def truncate():
        f = data_files(a.store)[0]
        os.truncate(f, os.path.getsize(f) // 3)

    def delete():
        os.unlink(data_files(a.store)[0])

    def garble_current():
        with open(os.path.join(a.store, "CURRENT"), "w") as fh:
            fh.write("MANIFEST-garbage\n")

    def remove_store():
        shutil.rmtree(a.store)

    for name, fn in [("a flipped byte", flip), ("a truncated data file", truncate),
                     ("a deleted data file", delete), ("a garbled CURRENT", garble_current),
                     ("the store removed", remove_store)]:
        fn()
        expect_errors(conn, a.schema, name)
        restore(a.store, a.backup)
        check(answers(cur, a.schema) == base, f"{name}: restored, the same answers in the same session")
    conn.close()


def backend_usage(pid):
    rss = 0
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    return rss, fds


def cancels(a):
    conn = psycopg.connect(a.dsn, autocommit=True)
    pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    query = f"SELECT sum(latency_ms), count(query_hash), max(created_at) FROM {a.schema}.fact_agent_query"
    t0 = time.time()
    conn.execute("SET max_parallel_workers_per_gather = 0")
    conn.execute(query).fetchone()
    full_ms = (time.time() - t0) * 1000
    rnd = random.Random(7)
    cancelled = completed = 0
    warm = None
    for i in range(a.count):
        by_request = i % 10 == 9
        if by_request:
            conn.execute("SET statement_timeout = 0")
            delay = rnd.uniform(0.2, 0.8) * full_ms / 1000
            timer = threading.Timer(delay, conn.cancel)
            timer.start()
        else:
            conn.execute(f"SET statement_timeout = {max(1, int(rnd.uniform(0.1, 0.6) * full_ms))}")
        try:
            conn.execute(query).fetchone()
            completed += 1
        except psycopg.errors.QueryCanceled:
            cancelled += 1
        if by_request:
            timer.join()
        if i == a.count // 10:
            warm = backend_usage(pid)
    conn.execute("SET statement_timeout = 0")
    end = backend_usage(pid)
    ok = conn.execute(query).fetchone() is not None
    check(ok, "the session still answers after the cancels")
    check(cancelled >= a.count * 0.8,
          f"{cancelled} of {a.count} scans cancelled mid-scan ({completed} finished; a full scan takes {full_ms:.0f} ms)")
    check(end[0] - warm[0] <= 2048,
          f"backend resident memory {warm[0]} kB after {a.count // 10} cancels, {end[0]} kB after {a.count}")
    check(end[1] == warm[1], f"backend open files {warm[1]} then {end[1]}")
    conn.close()


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("damage")
    d.add_argument("--dsn", required=True)
    d.add_argument("--schema", required=True)
    d.add_argument("--store", required=True)
    d.add_argument("--backup", required=True)
    c = sub.add_parser("cancels")
    c.add_argument("--dsn", required=True)
    c.add_argument("--schema", required=True)
    c.add_argument("--count", type=int, default=1000)
    a = ap.parse_args()
    damage(a) if a.cmd == "damage" else cancels(a)
    print(f"faults.py {a.cmd}: {FAILURES} failed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
