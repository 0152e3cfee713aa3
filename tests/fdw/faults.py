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
    # a star query the engine runs itself (join, grouping, aggregates pushed down)
    try:
        conn.execute(f"SELECT a.agent_type, count(*), avg(f.latency_ms) FROM {schema}.fact_agent_query f "
                     f"JOIN {schema}.dim_agent a USING (agent_key) GROUP BY 1").fetchall()
        seen.add(("answered", "star query"))
    except psycopg.Error as e:
        seen.add((e.sqlstate, (e.diag.message_primary or "")[:120]))
    if conn.execute("SELECT 1").fetchone() != (1,):
        check(False, f"{what}: the session died after the star query")
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


def set_timeout(conn, ms):
    """SET statement_timeout, which the previous (short) timeout may cancel itself: retry."""
    for _ in range(100):
        try:
            conn.execute(f"SET statement_timeout = {ms}")
            return
        except psycopg.errors.QueryCanceled:
            pass


def cancels(a):
    conn = psycopg.connect(a.dsn, autocommit=True)
    pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    # every other scan is a star query the engine runs on its own threads (cancelled through
    # the flag it reads between partitions), the others a plain foreign scan
    scan_q = (f"SELECT sum(latency_ms), count(query_hash), max(created_at) "
              f"FROM {a.schema}.fact_agent_query")
    star_q = (f"SELECT a.agent_type, f.time_key, count(*), "
              f"percentile_cont(0.5) WITHIN GROUP (ORDER BY f.latency_ms) "
              f"FROM {a.schema}.fact_agent_query f JOIN {a.schema}.dim_agent a USING (agent_key) GROUP BY 1, 2")
    conn.execute("SET max_parallel_workers_per_gather = 0")
    # Each query's length, as the fastest of a few warm runs: a first (cold) run alone can be
    # several times longer on a busy machine, and timeouts drawn from it would let most
    # queries finish before their cancel.
    full = {}
    for q in (scan_q, star_q):
        conn.execute(q).fetchall()
        for _ in range(4):
            t0 = time.time()
            conn.execute(q).fetchall()
            ms = (time.time() - t0) * 1000
            full[q] = min(full.get(q, ms), ms)
    rnd = random.Random(7)
    cancelled = completed = 0
    samples = []  # (rss, open files) every tenth of the run
    malloc_q = "SELECT colstore_fdw_malloc_in_use()"
    heap = []
    for i in range(a.count):
        query = star_q if i % 2 else scan_q
        full_ms = full[query]
        by_request = i % 10 == 9
        if by_request:
            set_timeout(conn, 0)
            delay = rnd.uniform(0.2, 0.8) * full_ms / 1000
            timer = threading.Timer(delay, conn.cancel)
            timer.start()
        else:
            set_timeout(conn, max(1, int(rnd.uniform(0.1, 0.6) * full_ms)))
        try:
            conn.execute(query).fetchall()
            completed += 1
        except psycopg.errors.QueryCanceled:
            cancelled += 1
        if by_request:
            timer.cancel()  # a cancel that comes after the query would hit the next statement
            timer.join()
        if (i + 1) % max(1, a.count // 10) == 0:
            samples.append(backend_usage(pid))
            set_timeout(conn, 0)
            heap.append(conn.execute(malloc_q).fetchone()[0])
    set_timeout(conn, 0)
    # the engine's worker threads allocate in malloc arenas of their own, so the resident size
    # moves up and down by a few MB from query to query: a leak shows as the second half's
    # peak above the first half's
    half = len(samples) // 2
    warm = (max(r for r, _ in samples[:half]), max(f for _, f in samples[:half]))
    end = (max(r for r, _ in samples[half:]), max(f for _, f in samples[half:]))
    ok = conn.execute(scan_q).fetchone() is not None and len(conn.execute(star_q).fetchall()) > 0
    check(ok, "the session still answers after the cancels")
    check(cancelled >= a.count * 0.5,
          f"{cancelled} of {a.count} queries cancelled mid-way ({completed} finished; a full scan takes "
          f"{full[scan_q]:.0f} ms, the star query {full[star_q]:.0f} ms)")
    # malloc's own count of the bytes in use is exact: what a cancel leaks stays in it
    check(max(heap[half:]) - min(heap[:half]) <= 512 * 1024,
          f"bytes malloc'ed by the backend: {min(heap[:half])} over the first half, "
          f"{max(heap[half:])} at most over the second (samples {heap})")
    check(end[0] - warm[0] <= 16384,
          f"backend resident memory: peak {warm[0]} kB over the first half of the cancels, "
          f"{end[0]} kB over the second (samples {[r for r, _ in samples]})")
    check(end[1] <= warm[1], f"backend open files: {warm[1]} then {end[1]}")
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
