#!/usr/bin/python3
"""One snapshot per query: a load that commits while a query runs does not change its answer.

    snapshot.py --dsn DSN --schema S --colload PATH --store DIR --export FILE

A cursor over a join of fact_agent_query with dim_agent is declared (the query starts, no row
is read); then colload commits more query facts (the export's rows under new keys, so every day grows); the cursor's
remaining rows make exactly the answer the query had before the load. A new query afterwards
sees the new rows.
"""
import argparse
import os
import subprocess
import sys

import psycopg

QUERY = ("SELECT f.query_key, a.agent_name, f.latency_ms FROM {s}.fact_agent_query f "
         "JOIN {s}.dim_agent a ON a.agent_key = f.agent_key ORDER BY f.query_key")


def main():
    ap = argparse.ArgumentParser()
    for o in ("--dsn", "--schema", "--colload", "--store", "--export"):
        ap.add_argument(o, required=True)
    a = ap.parse_args()
    failures = 0

    def check(ok, what):
        nonlocal failures
        print(("ok   " if ok else "FAIL ") + what, flush=True)
        failures += 0 if ok else 1

    q = QUERY.format(s=a.schema)
    with psycopg.connect(a.dsn) as conn:
        before = conn.execute(q).fetchall()
        conn.commit()
        # the same rows under keys past the last one: a commit that grows every day
        extra = a.export + ".more"
        with open(a.export) as src, open(extra, "w") as dst:
            for line in src:
                f = line.split("\t")
                f[0] = str(int(f[0]) + 100_000_000)
                dst.write("\t".join(f))
        with conn.cursor(name="c") as cur:
            # DECLARE starts the query (its snapshot is pinned), no row is read yet
            cur.execute(q)
            r = subprocess.run([a.colload, "--store", a.store, "--format", "text",
                                "fact_agent_query", extra], capture_output=True, text=True)
            check(r.returncode == 0, f"a load committed while the cursor was open: {r.stderr.strip()[:200]}")
            os.system(f"chmod -R a+rX '{a.store}'")
            first = cur.fetchmany(10)
            rest = cur.fetchall()
        conn.commit()
        check(first + rest == before, f"the open query answered from its snapshot: {len(first) + len(rest)} rows, as before the load ({len(before)})")
        after = conn.execute(f"SELECT count(*) FROM {a.schema}.fact_agent_query").fetchone()[0]
        check(after == 2 * len(before), f"the next query sees the load: {after} rows")
    print(f"snapshot.py: {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
