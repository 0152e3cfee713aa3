#!/usr/bin/python3
"""Generates ad-hoc SQL queries over the warehouse tables for the foreign-table differential test.

    gen_queries.py --dsn DSN --seed N --count N [--star]  > queries.sql

Each query is written on one line, unqualified (the test runs it once with search_path set to
the native tables and once with it set to the foreign tables) and totally ordered (ORDER BY
every output column that is not an aggregate, or the table's key), so that two correct
executions print the same bytes. Constants are sampled from the data in the native database
(deterministically: setseed), so filters select something more often than not; some are
chosen to select nothing, or only NULLs.

Kinds of query: rows of one table with random filters, ORDER BY key and LIMIT; GROUP BY of
random columns (or expressions: date_trunc, extract) of one table with count / count(DISTINCT)
/ sum / avg / min / max / percentile_cont / bool_and / FILTER; a fact table joined with its
dimensions (inner, and left joins on nullable keys) with filters on both sides, grouped. With
--star, only the star shapes (the pushdown suite of issue 15).
"""
import argparse
import random
import sys

import psycopg

TABLES = {
    # table: (key columns, {fk column: (dimension, dimension key)})
    "dim_agent": (["agent_key"], {}),
    "dim_time": (["time_key"], {}),
    "dim_conversation": (["conv_key"], {}),
    "dim_user": (["user_key"], {}),
    "fact_agent_query": (["query_key"], {"agent_key": ("dim_agent", "agent_key"),
                                         "time_key": ("dim_time", "time_key"),
                                         "conv_key": ("dim_conversation", "conv_key")}),
    "fact_approval": (["approval_key"], {"agent_key": ("dim_agent", "agent_key"),
                                         "time_key": ("dim_time", "time_key"),
                                         "conv_key": ("dim_conversation", "conv_key"),
                                         "approved_by_key": ("dim_user", "user_key")}),
    "fact_training": (["training_key"], {"agent_key": ("dim_agent", "agent_key"),
                                         "time_key": ("dim_time", "time_key"),
                                         "conv_key": ("dim_conversation", "conv_key"),
                                         "annotator_key": ("dim_user", "user_key")}),
    "agg_agent_daily_performance": (["agent_key", "time_key"],
                                    {"agent_key": ("dim_agent", "agent_key"),
                                     "time_key": ("dim_time", "time_key")}),
}
FACTS = ["fact_agent_query", "fact_approval", "fact_training", "agg_agent_daily_performance"]
NUMERIC_TYPES = {"integer", "bigint", "numeric", "smallint"}
ORDERED_TYPES = NUMERIC_TYPES | {"date", "timestamp with time zone", "text"}
GROUPABLE = ORDERED_TYPES | {"boolean", "jsonb", "ARRAY"}


class Catalog:
    def __init__(self, conn):
        self.cols = {}  # table -> [(name, data_type, nullable)]
        self.samples = {}  # (table, col) -> [sql literal]
        self.has_null = {}
        cur = conn.cursor()
        cur.execute("SELECT setseed(0.42)")
        for t in TABLES:
            cur.execute("""SELECT column_name, data_type, is_nullable = 'YES'
                           FROM information_schema.columns
                           WHERE table_schema = 'public' AND table_name = %s
                           ORDER BY ordinal_position""", (t,))
            self.cols[t] = cur.fetchall()
            for name, dtype, _ in self.cols[t]:
                if dtype in ("jsonb", "ARRAY"):
                    self.samples[(t, name)] = []
                    cur.execute(f"SELECT count(*) FILTER (WHERE {name} IS NULL) > 0 FROM {t}")
                    self.has_null[(t, name)] = cur.fetchone()[0]
                    continue
                cur.execute(f"""SELECT v::text FROM (SELECT DISTINCT {name} AS v FROM {t}
                                WHERE {name} IS NOT NULL) s ORDER BY random() LIMIT 24""")
                self.samples[(t, name)] = [literal(r[0], dtype) for r in cur.fetchall()]
                cur.execute(f"SELECT count(*) FILTER (WHERE {name} IS NULL) > 0 FROM {t}")
                self.has_null[(t, name)] = cur.fetchone()[0]

    def dtype(self, t, c):
        for name, dtype, _ in self.cols[t]:
            if name == c:
                return dtype
        raise KeyError(c)


def literal(text, dtype):
    if dtype in NUMERIC_TYPES:
        return text
    if dtype == "boolean":
        return "true" if text == "true" else "false"
    if any(ch in text for ch in "\\\n\t\r"):
        esc = (text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n")
               .replace("\t", "\\t").replace("\r", "\\r"))
        q = "E'" + esc + "'"
    else:
        q = "'" + text.replace("'", "''") + "'"
    if dtype == "date":
        return q + "::date"
    if dtype == "timestamp with time zone":
        return q + "::timestamptz"
    return q


class Gen:
    def __init__(self, cat, rnd):
        self.cat = cat
        self.r = rnd

    def pick(self, xs):
        return self.r.choice(xs)

    # -- filters -------------------------------------------------------------------------
    def comparison(self, t, alias, col):
        dtype = self.cat.dtype(t, col)
        ref = f"{alias}.{col}" if alias else col
        samples = self.cat.samples[(t, col)]
        r = self.r.random()
        if dtype in ("jsonb", "ARRAY") or not samples or r < 0.1:
            return f"{ref} IS {'' if self.r.random() < 0.5 else 'NOT '}NULL"
        if dtype == "boolean":
            return self.pick([ref, f"NOT {ref}", f"{ref} = true", f"{ref} IS FALSE",
                              f"{ref} IS NOT TRUE", f"{ref} <> false"])
        v = self.pick(samples)
        if dtype in ORDERED_TYPES and r < 0.35:
            op = self.pick(["<", "<=", ">", ">="])
            return f"{ref} {op} {v}"
        if dtype in ORDERED_TYPES and r < 0.5:
            a, b = sorted([v, self.pick(samples)], key=lambda s: sortkey(s, dtype))
            return f"{ref} BETWEEN {a} AND {b}"
        if r < 0.65:
            vs = sorted(set(self.r.sample(samples, min(len(samples), self.r.randint(1, 5)))))
            neg = "NOT " if self.r.random() < 0.2 else ""
            return f"{ref} {neg}IN ({', '.join(vs)})"
        if r < 0.72 and dtype in NUMERIC_TYPES:
            return f"{ref} = {v} + 0.5"  # selects nothing on integers
        return f"{ref} {self.pick(['=', '=', '<>'])} {v}"

    def filters(self, t, alias, n):
        cols = [c for c, _, _ in self.cat.cols[t]]
        parts = []
        for _ in range(n):
            c = self.pick(cols)
            p = self.comparison(t, alias, c)
            if self.r.random() < 0.15:
                p = f"({p} OR {self.comparison(t, alias, self.pick(cols))})"
            parts.append(p)
        return parts

    def time_filter(self, t, alias):
        """A day range on time_key or on the timestamp that determines it (pruning)."""
        ref = (alias + ".") if alias else ""
        if t != "agg_agent_daily_performance" and t.startswith("fact") and self.r.random() < 0.4:
            vs = self.cat.samples[(t, "created_at")]
            a, b = sorted([self.pick(vs), self.pick(vs)])
            return f"{ref}created_at >= {a} AND {ref}created_at < {b}"
        vs = self.cat.samples[(t, "time_key")]
        a, b = sorted([int(self.pick(vs)), int(self.pick(vs))])
        return self.pick([f"{ref}time_key BETWEEN {a} AND {b}", f"{ref}time_key >= {a}",
                          f"{ref}time_key = {a}", f"{ref}time_key IN ({a}, {b})"])

    # -- aggregates ----------------------------------------------------------------------
    def aggregate(self, t, alias):
        ref = (alias + ".") if alias else ""
        cols = self.cat.cols[t]
        nums = [c for c, d, _ in cols if d in NUMERIC_TYPES]
        ordered = [c for c, d, _ in cols if d in ORDERED_TYPES]
        bools = [c for c, d, _ in cols if d == "boolean"]
        k = self.r.random()
        if k < 0.12:
            return "count(*)"
        if k < 0.22:
            return f"count({ref}{self.pick([c for c, _, _ in cols])})"
        if k < 0.3:
            return f"count(DISTINCT {ref}{self.pick(ordered)})"
        if k < 0.42:
            return f"sum({ref}{self.pick(nums)})"
        if k < 0.54:
            return f"avg({ref}{self.pick(nums)})"
        if k < 0.64:
            return f"round(avg({ref}{self.pick(nums)}), 2)"
        if k < 0.72:
            return f"{self.pick(['min', 'max'])}({ref}{self.pick(ordered)})"
        if k < 0.8:
            f = self.pick(["0.5", "0.95", "0.25", "0", "1"])
            return f"percentile_cont({f}) WITHIN GROUP (ORDER BY {ref}{self.pick(nums)})"
        if k < 0.86 and bools:
            return f"{self.pick(['bool_and', 'bool_or'])}({ref}{self.pick(bools)})"
        if k < 0.94 and bools:
            b = self.pick(bools)
            return f"count(*) FILTER (WHERE {ref}{b})"
        if bools:
            b = self.pick(bools)
            return (f"round(100.0 * count(*) FILTER (WHERE {ref}{b} = true) / nullif(count(*), 0), 2)")
        return "count(*)"

    def group_expr(self, t, alias):
        ref = (alias + ".") if alias else ""
        cols = [(c, d) for c, d, _ in self.cat.cols[t] if d in GROUPABLE]
        c, d = self.pick(cols)
        if d == "timestamp with time zone" and self.r.random() < 0.6:
            return self.pick([f"date_trunc('month', {ref}{c})", f"date_trunc('day', {ref}{c})",
                              f"extract(hour FROM {ref}{c})", f"extract(dow FROM {ref}{c})"])
        if d == "date" and self.r.random() < 0.5:
            return self.pick([f"date_trunc('month', {ref}{c})", f"extract(month FROM {ref}{c})",
                              f"to_char({ref}{c}, 'Month')"])
        return f"{ref}{c}"

    # -- query shapes --------------------------------------------------------------------
    def rows_query(self):
        t = self.pick(list(TABLES))
        keys, _ = TABLES[t]
        cols = [c for c, _, _ in self.cat.cols[t]]
        sel = sorted(set(self.r.sample(cols, self.r.randint(1, len(cols)))) | set(keys),
                     key=cols.index)
        if self.r.random() < 0.2:
            sel = ["*"]
        where = self.filters(t, "", self.r.randint(0, 3))
        if t in FACTS and self.r.random() < 0.6:
            where.append(self.time_filter(t, ""))
        q = f"SELECT {', '.join(sel)} FROM {t}"
        if where:
            q += " WHERE " + " AND ".join(where)
        q += " ORDER BY " + ", ".join(keys)
        if self.r.random() < 0.5:
            q += f" LIMIT {self.r.randint(1, 50)}"
        return q

    def group_query(self):
        t = self.pick(list(TABLES))
        gs = []
        for _ in range(self.r.randint(0, 2)):
            g = self.group_expr(t, "")
            if g not in gs:
                gs.append(g)
        aggs = [self.aggregate(t, "") for _ in range(self.r.randint(1, 4))]
        where = self.filters(t, "", self.r.randint(0, 2))
        if t in FACTS and self.r.random() < 0.5:
            where.append(self.time_filter(t, ""))
        return self.finish_group(gs, aggs, t, where)

    def finish_group(self, gs, aggs, from_, where):
        q = f"SELECT {', '.join(gs + aggs)} FROM {from_}"
        if where:
            q += " WHERE " + " AND ".join(where)
        if gs:
            q += " GROUP BY " + ", ".join(gs)
            if self.r.random() < 0.15:
                q += " HAVING count(*) > 1"
            q += " ORDER BY " + ", ".join(str(i + 1) for i in range(len(gs)))
            if self.r.random() < 0.3:
                q += f" LIMIT {self.r.randint(1, 20)}"
        return q

    def star_query(self):
        f = self.pick(FACTS)
        _, fks = TABLES[f]
        joins, parts = [], []
        aliases = {"dim_agent": "a", "dim_time": "d", "dim_conversation": "c", "dim_user": "u"}
        chosen = self.r.sample(list(fks), self.r.randint(1, len(fks)))
        used = {}
        for fk in chosen:
            dim, dkey = fks[fk]
            if dim in used:
                continue
            al = aliases[dim]
            used[dim] = al
            nullable = self.cat.has_null[(f, fk)]
            kind = "LEFT JOIN" if nullable and self.r.random() < 0.5 else "JOIN"
            joins.append(f"{kind} {dim} {al} ON f.{fk} = {al}.{dkey}")
        where = self.filters(f, "f", self.r.randint(0, 2))
        if self.r.random() < 0.6:
            where.append(self.time_filter(f, "f"))
        for dim, al in used.items():
            if self.r.random() < 0.5:
                where += self.filters(dim, al, 1)
        gs = []
        for _ in range(self.r.randint(1, 3)):
            dim, al = self.pick(list(used.items())) if self.r.random() < 0.7 else (f, "f")
            g = self.group_expr(dim, al)
            if g not in gs:
                gs.append(g)
        aggs = [self.aggregate(f, "f") for _ in range(self.r.randint(1, 4))]
        return self.finish_group(gs, aggs, f"{f} f " + " ".join(joins), where)

    def query(self, star):
        if star:
            return self.star_query()
        k = self.r.random()
        if k < 0.3:
            return self.rows_query()
        if k < 0.65:
            return self.group_query()
        return self.star_query()


def sortkey(lit, dtype):
    if dtype in NUMERIC_TYPES:
        return float(lit)
    return lit


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dsn", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--star", action="store_true")
    a = ap.parse_args()
    with psycopg.connect(a.dsn) as conn:
        cat = Catalog(conn)
    g = Gen(cat, random.Random(a.seed))
    for _ in range(a.count):
        sys.stdout.write(g.query(a.star) + "\n")


if __name__ == "__main__":
    main()
