#!/usr/bin/python3
"""Browses the warehouse as a BI tool does (Metabase, Superset, Tableau): schemas, tables and
columns through information_schema and pg_catalog, then a query; and checks that the foreign
schema shows every table and column with the same name, position, type, precision, scale and
nullability as the native tables of the seed's DDL.

    bi_browse.py --dsn DSN --schema analytics --native public
"""
import argparse
import sys

import psycopg

TABLES = ["agg_agent_daily_performance", "dim_agent", "dim_conversation", "dim_time", "dim_user",
          "fact_agent_query", "fact_approval", "fact_training"]

COLUMNS_IS = """SELECT table_name, ordinal_position, column_name, data_type, udt_name,
  numeric_precision, numeric_scale, datetime_precision, is_nullable
  FROM information_schema.columns WHERE table_schema = %s AND table_name = ANY(%s)
  ORDER BY table_name, ordinal_position"""
COLUMNS_PG = """SELECT c.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod),
  a.attnotnull
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  WHERE n.nspname = %s AND c.relname = ANY(%s) ORDER BY c.relname, a.attnum"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dsn", required=True)
    ap.add_argument("--schema", default="analytics")
    ap.add_argument("--native", default="public")
    a = ap.parse_args()
    failures = 0

    def check(ok, what):
        nonlocal failures
        print(("ok   " if ok else "FAIL ") + what)
        failures += 0 if ok else 1

    with psycopg.connect(a.dsn, autocommit=True) as conn:
        cur = conn.cursor()
        cur.execute("SELECT schema_name FROM information_schema.schemata ORDER BY 1")
        check(a.schema in [r[0] for r in cur.fetchall()], "information_schema.schemata lists the schema")
        cur.execute("""SELECT table_name, table_type, is_insertable_into FROM information_schema.tables
                       WHERE table_schema = %s ORDER BY 1""", (a.schema,))
        tabs = cur.fetchall()
        check([t[0] for t in tabs] == TABLES, f"information_schema.tables: {[t[0] for t in tabs]}")
        check(all(t[1] == "FOREIGN" and t[2] == "NO" for t in tabs),
              "every table is FOREIGN and not insertable")
        cur.execute("""SELECT c.relname, c.relkind FROM pg_catalog.pg_class c
                       JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                       WHERE n.nspname = %s ORDER BY 1""", (a.schema,))
        check(cur.fetchall() == [(t, "f") for t in TABLES], "pg_class: the tables, relkind f")
        for q, what in ((COLUMNS_IS, "information_schema.columns"), (COLUMNS_PG, "pg_attribute")):
            cur.execute(q, (a.schema, TABLES))
            foreign = cur.fetchall()
            cur.execute(q, (a.native, TABLES))
            native = cur.fetchall()
            check(len(foreign) > 80 and foreign == native,
                  f"{what}: {len(foreign)} columns, the same as the native tables")
            if foreign != native:
                for f, n in zip(foreign, native):
                    if f != n:
                        print(f"     foreign {f}\n     native  {n}")
        # a first query, as a tool's preview does
        for t in TABLES:
            cur.execute(f'SELECT * FROM {a.schema}."{t}" LIMIT 5')
            rows = cur.fetchall()
            names = [d.name for d in cur.description]
            cur.execute(f'SELECT * FROM {a.native}."{t}" ORDER BY 1 LIMIT 0')
            check(len(rows) == 5 and names == [d.name for d in cur.description],
                  f"preview of {t}: 5 rows, {len(names)} columns")
        cur.execute(f"""SELECT a.agent_type, count(*), round(avg(f.latency_ms), 2)
                        FROM {a.schema}.fact_agent_query f JOIN {a.schema}.dim_agent a USING (agent_key)
                        GROUP BY 1 ORDER BY 1""")
        got = cur.fetchall()
        cur.execute(f"""SELECT a.agent_type, count(*), round(avg(f.latency_ms), 2)
                        FROM {a.native}.fact_agent_query f JOIN {a.native}.dim_agent a USING (agent_key)
                        GROUP BY 1 ORDER BY 1""")
        check(got == cur.fetchall() and len(got) > 0, f"a grouped join: {len(got)} rows as native")
    print(f"bi_browse.py: {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
