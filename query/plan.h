/*
 * The star-query executor: scan → filter → star join → group → aggregate → order → limit,
 * over one snapshot. What PostgreSQL's foreign data wrapper pushes down (SQL over the store),
 * what colstore_query() offers embedders, and what the reports are specs of.
 *
 * A plan reads one table (the fact) and joins dimensions on the fact's foreign keys
 * (fact.fk = dim.key; inner, or left: the fact row kept with NULL dimension values). Each
 * dimension is read once, filtered by its own predicate, and becomes a key → row map; an inner
 * join whose dimension is filtered also filters the fact by `fk IN (the keys that pass)`, which
 * prunes partitions by their zone maps (a window of dim_time rows becomes a range of day
 * partitions). The fact is scanned with the table scan (query/scan.h) partition by partition
 * on `threads` workers; each worker groups the passing rows in its own hash table of group
 * keys (up to CS_PLAN_MAX_KEYS values of the fact's or the dimensions' columns, or of
 * date_trunc / extract / to_char of a date or timestamp, computed in UTC) with the aggregates'
 * states; the workers' tables are merged, the groups ordered and limited.
 *
 * Aggregates return their raw exact values, for the caller to finish as SQL would (an average
 * is a SUM and a COUNT): COUNT(*), COUNT(x), COUNT(DISTINCT x), SUM(x) (exact; an overflow of
 * 64 bits is an error), MIN / MAX, BOOL_AND / BOOL_OR, PERCENTILE_CONT(f) (float8, as
 * PostgreSQL computes it), each optionally with a FILTER predicate on the fact's columns. NULL
 * inputs are ignored as SQL ignores them; an aggregate over no value is NULL (COUNT: 0).
 */
#ifndef CS_QUERY_PLAN_H
#define CS_QUERY_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "query/report.h"
#include "query/scan.h"

#define CS_PLAN_MAX_JOINS 8
#define CS_PLAN_MAX_KEYS  8
#define CS_PLAN_MAX_AGGS  24
/* Groups one query may build before it fails with a clear message (memory is bounded). */
#define CS_PLAN_DEFAULT_MAX_GROUPS 4000000u

/* A value's function in a group key (the column's value, or a calendar function of it). */
enum cs_plan_fn {
    CS_FN_NONE = 0,
    /* date_trunc(unit, x): a timestamptz (µs, UTC) */
    CS_FN_TRUNC_YEAR = 1,
    CS_FN_TRUNC_QUARTER = 2,
    CS_FN_TRUNC_MONTH = 3,
    CS_FN_TRUNC_WEEK = 4,
    CS_FN_TRUNC_DAY = 5,
    CS_FN_TRUNC_HOUR = 6,
    /* extract(field FROM x): an integer */
    CS_FN_YEAR = 10,
    CS_FN_QUARTER = 11,
    CS_FN_MONTH = 12,
    CS_FN_DAY = 13,
    CS_FN_DOW = 14,
    CS_FN_ISODOW = 15,
    CS_FN_DOY = 16,
    CS_FN_HOUR = 17,
    CS_FN_MINUTE = 18,
    CS_FN_WEEK = 19,
    CS_FN_ISOYEAR = 20,
    /* to_char(x, 'Month') / to_char(x, 'Day'): text padded to 9 */
    CS_FN_MONTH_NAME = 30,
    CS_FN_DAY_NAME = 31,
};

/* A column of the query: rel 0 is the fact table, rel j + 1 the dimension of join j. */
struct cs_plan_ref {
    int rel;
    int col; /* schema column of that table */
};

struct cs_plan_key {
    struct cs_plan_ref ref;
    int fn; /* enum cs_plan_fn; calendar functions need a DATE or TIMESTAMPTZ column */
};

enum cs_plan_agg_kind {
    CS_AGG_COUNT_ROWS = 1, /* count(*) */
    CS_AGG_COUNT = 2,
    CS_AGG_COUNT_DISTINCT = 3,
    CS_AGG_SUM = 4,
    CS_AGG_MIN = 5,
    CS_AGG_MAX = 6,
    CS_AGG_BOOL_AND = 7,
    CS_AGG_BOOL_OR = 8,
    CS_AGG_PERCENTILE = 9, /* percentile_cont(fraction) WITHIN GROUP (ORDER BY x) */
};

struct cs_plan_agg {
    int kind;
    struct cs_plan_ref ref;            /* the argument (not COUNT_ROWS) */
    double fraction;                   /* PERCENTILE: 0..1 */
    const struct cs_scan_pred *filter; /* FILTER (WHERE ...) on the fact's columns, or NULL */
};

struct cs_plan_join {
    const struct cs_table_def *dim;
    int fact_col; /* the fact's foreign key */
    int dim_col;  /* the dimension's column it equals (unique in the dimension: its key) */
    bool left;    /* LEFT JOIN */
    const struct cs_scan_pred *where; /* on the dimension's columns (before the join), or NULL */
};

/* Ordering of the output rows: output column (keys first, then aggregates). */
struct cs_plan_order {
    int output;
    bool desc;
    bool nulls_first;
};

struct cs_plan {
    const struct cs_table_def *fact;
    const struct cs_scan_pred *where; /* on the fact's columns, or NULL */
    int32_t tk_min, tk_max;           /* the fact's time_key bounds (0: none) */
    struct cs_plan_join joins[CS_PLAN_MAX_JOINS];
    size_t njoins;
    struct cs_plan_key keys[CS_PLAN_MAX_KEYS];
    size_t nkeys;
    struct cs_plan_agg aggs[CS_PLAN_MAX_AGGS];
    size_t naggs;
    struct cs_plan_order order[CS_PLAN_MAX_KEYS + CS_PLAN_MAX_AGGS];
    size_t norder;
    int64_t limit;       /* < 0: every row */
    unsigned threads;    /* 0: 2 */
    size_t max_groups;   /* 0: CS_PLAN_DEFAULT_MAX_GROUPS */
    bool general;        /* the general scan only, never a kernel (plan_special.c): comparisons */
    bool kernel_general; /* a kernel's own general plan only (cs_report_params.general: tests) */
};

/* What a run did, for EXPLAIN. */
struct cs_plan_stats {
    uint64_t parts_total, parts_read, parts_pruned;  /* the fact's partitions */
    uint64_t rows_scanned, rows_passed, rows_joined; /* fact rows read, passing `where`, joined */
    uint64_t groups;
    uint64_t dim_rows[CS_PLAN_MAX_JOINS]; /* dimension rows kept by each join's `where` */
    bool key_filters[CS_PLAN_MAX_JOINS];  /* whether a join filtered the fact by its keys */
    unsigned workers;
    const char *kernel; /* the specialization that ran (a static name), NULL: the general scan */
};

/* cs_plan_check() - CS_EINVAL naming the problem when p is not a plan this executor runs. */
int cs_plan_check(const struct cs_plan *p, struct cs_error *err);

/* cs_plan_run() - run p on snap: a result of nkeys + naggs columns (keys as their column's
 * type, calendar functions as TIMESTAMPTZ / INT8 / TEXT; COUNT as INT8; SUM as NUMERIC with the
 * argument's scale (0 for integers); MIN / MAX as the argument's type; BOOL_* as BOOL;
 * PERCENTILE as FLOAT8). stats may be NULL. cancel (may be NULL) is read between partitions:
 * when it becomes non-zero the run stops with CS_EINVAL "canceled". */
int cs_plan_run(struct cs_snap *snap,
                const struct cs_plan *p,
                const volatile int *cancel,
                struct cs_result **out,
                struct cs_plan_stats *stats,
                struct cs_error *err);

#endif
