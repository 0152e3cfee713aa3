/*
 * daily-agg: the agg_agent_daily_performance rows with from <= time_key <= to, ordered by
 * (time_key, agent_key). By default read from the materialized CS_T_AGG_DAILY partitions;
 * with params->recompute computed from the facts, day by day, by the same kernel the loader
 * uses to materialize them (daily_agg_compute.c), so both agree by construction.
 *
 * Recompute plan: the days = the union of the three fact tables' partitions in range; workers
 * take contiguous runs of days (balanced by rows), each with its own workspace (column views
 * read a vector at a time: cs_dagg_day_views) and output batch, and scratch batches (only the
 * columns the kernel reads) for days whose keys the view plan does not take; outputs are
 * concatenated in worker order, which is day order.
 */
#include "query/report.h"

#include <stdlib.h>
#include <string.h>

#include "query/daily_agg.h"
#include "query/kernel.h"
#include "storage/base/pgtext.h"

#define DA_TABLES 3
static const int da_tables[DA_TABLES] = {CS_T_FACT_AGENT_QUERY, CS_T_FACT_APPROVAL,
                                         CS_T_FACT_TRAINING};
static const int da_q_cols[] = {CS_FQ_AGENT, CS_FQ_LATENCY, CS_FQ_APPROVED, CS_FQ_HUMAN_EDITED,
                                CS_FQ_ERROR};
static const int da_a_cols[] = {CS_FA_AGENT, CS_FA_SLA_MET};
static const int da_t_cols[] = {CS_FT_AGENT, CS_FT_SAFE};
static const int *const da_cols[DA_TABLES] = {da_q_cols, da_a_cols, da_t_cols};
static const size_t da_ncols[DA_TABLES] = {5, 2, 2};

#define NO_PART SIZE_MAX

struct da_day {
    int32_t time_key;
    size_t part[DA_TABLES]; /* first row group; NO_PART when the table has no partition then */
    size_t nparts[DA_TABLES];
};

/* The output rows of one day: rows [start, start + count) of worker `worker`'s batch. */
struct da_block {
    uint32_t worker;
    size_t start, count;
};

struct da_worker {
    struct cs_snap *snap;
    const struct da_day *days;
    uint32_t index;          /* this worker's */
    struct da_block *blocks; /* per day, shared: each day written by the worker that ran it */
    struct cs_dagg_ws *ws;
    struct cs_batch in[DA_TABLES];
    struct cs_batch out;
    /* cs_dagg_raw_days: the rows as raw aggregates instead of in `out` */
    bool raw_mode;
    struct cs_dagg_raw *raw;
    size_t nraw, raw_cap;
};

/* The kernel's rows of a worker in raw mode (cs_dagg_ws_set_sink). */
static int da_raw_sink(void *arg, const struct cs_dagg_raw *row, struct cs_error *err)
{
    struct da_worker *w = arg;
    if (w->nraw == w->raw_cap) {
        const size_t cap = w->raw_cap ? 2 * w->raw_cap : 1024;
        struct cs_dagg_raw *r = realloc(w->raw, cap * sizeof(*r));
        if (r == NULL) return cs_error_set(err, CS_ENOMEM, "out of memory for daily aggregates");
        w->raw = r;
        w->raw_cap = cap;
    }
    w->raw[w->nraw++] = *row;
    return CS_OK;
}

/* Rows produced so far by worker w (in its batch, or raw). */
static size_t da_produced(const struct da_worker *w)
{
    return w->raw_mode ? w->nraw : w->out.rows;
}

/* The kernel's columns of one day's row groups into batch b, at their schema positions. */
static int da_read(struct cs_snap *snap,
                   int t,
                   size_t part,
                   size_t nparts,
                   struct cs_batch *b,
                   struct cs_error *err)
{
    const int table = da_tables[t];
    int rc = cs_snap_read_groups(snap, table, part, part + nparts, da_cols[t], da_ncols[t], b, err);
    for (size_t j = 0; rc == CS_OK && j < da_ncols[t]; j++) {
        if (b->cols[da_cols[t][j]].len != b->rows) {
            return cs_error_set(err, CS_ECORRUPT, "%s: partition %zu: columns of different lengths",
                                cs_schema_table(table)->name, part);
        }
    }
    return rc;
}

static int da_day_run(void *state, size_t item, struct cs_error *err)
{
    struct da_worker *w = state;
    const struct da_day *d = &w->days[item];
    const size_t start = da_produced(w);
    bool done = false;
    int rc = CS_OK;
    /* the view plan reads one row group a table (a day with late rows appended: batches) */
    if (d->nparts[0] <= 1 && d->nparts[1] <= 1 && d->nparts[2] <= 1)
        rc = cs_dagg_day_views(w->ws, w->snap, d->time_key, d->part, &w->out, &done, err);
    w->blocks[item] = (struct da_block){w->index, start, 0};
    if (rc != CS_OK) return rc;
    if (done) {
        w->blocks[item].count = da_produced(w) - start;
        return CS_OK;
    }
    /* keys the view plan does not take: whole columns, then the batch kernel */
    const struct cs_batch *in[DA_TABLES] = {NULL, NULL, NULL};
    for (int t = 0; t < DA_TABLES; t++) {
        if (d->part[t] == NO_PART) continue;
        rc = da_read(w->snap, t, d->part[t], d->nparts[t], &w->in[t], err);
        if (rc != CS_OK) return rc;
        in[t] = &w->in[t];
    }
    rc = cs_dagg_day(w->ws, d->time_key, in[0], in[1], in[2], &w->out, err);
    w->blocks[item].count = da_produced(w) - start;
    return rc;
}

/* Which days of [lo, hi] and which tables da_days lists. */
struct da_filter {
    unsigned tables;                           /* bit t: da_tables[t] */
    bool (*keep)(void *arg, int32_t time_key); /* NULL: every day */
    void *arg;
};

/* The union of the fact partitions' days in [lo, hi] (of the tables and days f keeps), in
 * time_key order. */
static int da_days(struct cs_snap *snap,
                   int32_t lo,
                   int32_t hi,
                   const struct da_filter *f,
                   struct da_day **out,
                   size_t *n,
                   uint64_t **weights,
                   struct cs_error *err)
{
    size_t first[DA_TABLES], end[DA_TABLES], cap = 0;
    for (int t = 0; t < DA_TABLES; t++) {
        cs_snap_part_range(snap, da_tables[t], lo, hi, &first[t], &end[t]);
        if (!(f->tables & (1u << t))) end[t] = first[t];
        cap += end[t] - first[t];
    }
    *n = 0;
    *out = malloc((cap + 1) * sizeof(**out));
    *weights = calloc(cap + 1, sizeof(**weights));
    if (*out == NULL || *weights == NULL) {
        return cs_error_set(err, CS_ENOMEM, "out of memory listing %zu partitions", cap);
    }
    size_t at[DA_TABLES] = {first[0], first[1], first[2]};
    for (;;) {
        int32_t tk = INT32_MAX;
        for (int t = 0; t < DA_TABLES; t++) {
            if (at[t] < end[t] && cs_snap_part(snap, da_tables[t], at[t]).time_key < tk)
                tk = cs_snap_part(snap, da_tables[t], at[t]).time_key;
        }
        if (tk == INT32_MAX) break;
        if (f->keep != NULL && !f->keep(f->arg, tk)) {
            for (int t = 0; t < DA_TABLES; t++)
                for (; at[t] < end[t] && cs_snap_part(snap, da_tables[t], at[t]).time_key == tk;
                     at[t]++) {
                }
            continue;
        }
        struct da_day *d = &(*out)[*n];
        d->time_key = tk;
        for (int t = 0; t < DA_TABLES; t++) {
            d->part[t] = NO_PART;
            d->nparts[t] = 0;
            if (at[t] < end[t] && cs_snap_part(snap, da_tables[t], at[t]).time_key == tk) {
                d->part[t] = at[t];
                for (; at[t] < end[t] && cs_snap_part(snap, da_tables[t], at[t]).time_key == tk;
                     at[t]++) {
                    (*weights)[*n] += cs_snap_part(snap, da_tables[t], at[t]).rows;
                    d->nparts[t]++;
                }
            }
        }
        (*n)++;
    }
    return CS_OK;
}

/* Append rows of b (all of them, in the order `order` gives, or as stored when NULL). */
static bool da_append(struct cs_result *r, const struct cs_batch *b, const size_t *order)
{
    for (size_t j = 0; j < r->ncols; j++) {
        if (order == NULL) { /* a whole column at once */
            if (!cs_col_append_range(&r->cols[j], &b->cols[j], 0, b->rows)) return false;
            continue;
        }
        if (!cs_col_reserve(&r->cols[j], r->rows + b->rows, 0)) return false;
        for (size_t i = 0; i < b->rows; i++) {
            if (!cs_col_push_from(&r->cols[j], &b->cols[j], order != NULL ? order[i] : i))
                return false;
        }
    }
    r->rows += b->rows;
    return true;
}

/* The days of [lo, hi] that f keeps, computed on `threads` workers: their rows appended to r
 * (when r is not NULL) or, in raw mode, returned in *raw / *nraw (malloc'ed), in day order. */
static int da_run(struct cs_snap *snap,
                  int32_t lo,
                  int32_t hi,
                  const struct da_filter *f,
                  unsigned threads,
                  struct cs_result *r,
                  struct cs_dagg_raw **raw,
                  size_t *nraw,
                  uint64_t *rows_read,
                  struct cs_error *err)
{
    struct da_day *days = NULL;
    struct da_block *blocks = NULL;
    uint64_t *weights = NULL;
    size_t ndays = 0, nw = 0;
    const bool raw_mode = r == NULL;
    struct da_worker *w = calloc(CS_PAR_MAX_WORKERS, sizeof(*w));
    int rc = w == NULL ? cs_error_set(err, CS_ENOMEM, "out of memory") : CS_OK;
    if (rc == CS_OK) rc = da_days(snap, lo, hi, f, &days, &ndays, &weights, err);
    if (rc != CS_OK || ndays == 0) goto out;
    blocks = calloc(ndays, sizeof(*blocks));
    if (blocks == NULL) {
        rc = cs_error_set(err, CS_ENOMEM, "out of memory");
        goto out;
    }
    uint64_t total = 0;
    for (size_t i = 0; i < ndays; i++)
        total += weights[i];
    if (rows_read != NULL) *rows_read = total;
    nw = cs_par_workers(ndays, total, threads);
    void *states[CS_PAR_MAX_WORKERS];
    for (size_t k = 0; k < nw; k++) {
        w[k].snap = snap;
        w[k].days = days;
        w[k].index = (uint32_t)k;
        w[k].blocks = blocks;
        w[k].ws = cs_dagg_ws_new();
        w[k].raw_mode = raw_mode;
        for (int t = 0; t < DA_TABLES; t++)
            cs_batch_init(&w[k].in[t], cs_schema_table(da_tables[t]));
        cs_batch_init(&w[k].out, cs_schema_table(CS_T_AGG_DAILY));
        if (w[k].ws == NULL)
            rc = cs_error_set(err, CS_ENOMEM, "out of memory");
        else if (raw_mode)
            cs_dagg_ws_set_sink(w[k].ws, da_raw_sink, &w[k]);
        states[k] = &w[k];
    }
    if (rc == CS_OK) rc = cs_par_run(ndays, nw, da_day_run, states, err);
    if (rc == CS_OK && raw_mode) {
        size_t n = 0;
        for (size_t i = 0; i < ndays; i++)
            n += blocks[i].count;
        *raw = malloc((n + 1) * sizeof(**raw));
        if (*raw == NULL) rc = cs_error_set(err, CS_ENOMEM, "out of memory");
        for (size_t i = 0; rc == CS_OK && i < ndays; i++) {
            const struct da_block *b = &blocks[i];
            if (b->count > 0)
                memcpy(*raw + *nraw, w[b->worker].raw + b->start, b->count * sizeof(**raw));
            *nraw += b->count;
        }
    }
    /* the days' rows in day order, whichever worker ran them */
    for (size_t i = 0; rc == CS_OK && !raw_mode && i < ndays; i++) {
        const struct da_block *b = &blocks[i];
        for (size_t j = 0; j < r->ncols && b->count > 0; j++) {
            if (!cs_col_append_range(&r->cols[j], &w[b->worker].out.cols[j], b->start, b->count))
                rc = cs_error_set(err, CS_ENOMEM, "out of memory");
        }
        r->rows += b->count;
    }
out:
    for (size_t k = 0; k < nw; k++) {
        cs_dagg_ws_free(w[k].ws);
        for (int t = 0; t < DA_TABLES; t++)
            cs_batch_free(&w[k].in[t]);
        cs_batch_free(&w[k].out);
        free(w[k].raw);
    }
    free(w);
    free(blocks);
    free(days);
    free(weights);
    return rc;
}

int cs_dagg_raw_days(struct cs_snap *snap,
                     int32_t lo,
                     int32_t hi,
                     unsigned tables,
                     bool (*keep)(void *arg, int32_t time_key),
                     void *arg,
                     unsigned threads,
                     struct cs_dagg_raw **rows,
                     size_t *nrows,
                     uint64_t *rows_read,
                     struct cs_error *err)
{
    *rows = NULL;
    *nrows = 0;
    if (rows_read != NULL) *rows_read = 0;
    const struct da_filter f = {tables, keep, arg};
    const int rc = da_run(snap, lo, hi, &f, threads, NULL, rows, nrows, rows_read, err);
    if (rc != CS_OK) {
        free(*rows);
        *rows = NULL;
        *nrows = 0;
    }
    return rc;
}

/* The stored rows of one day (row groups [i, end)) in agent_key order (loaded rows are kept in
 * that order; rows put otherwise are sorted here). */
static int da_stored_part(struct cs_snap *snap,
                          size_t i,
                          size_t end,
                          struct cs_batch *b,
                          size_t **order,
                          size_t *order_cap,
                          struct cs_result *r,
                          struct cs_error *err)
{
    int rc = end - i == 1 ? cs_snap_read_part(snap, CS_T_AGG_DAILY, i, b, err)
                          : cs_snap_read_groups(snap, CS_T_AGG_DAILY, i, end, NULL, 0, b, err);
    if (rc != CS_OK) return rc;
    const int64_t *key = b->cols[CS_AGG_AGENT].i64;
    bool sorted = true;
    for (size_t k = 1; k < b->rows && sorted; k++)
        sorted = key[k - 1] <= key[k];
    const size_t *ord = NULL;
    if (!sorted) {
        if (b->rows > *order_cap) {
            size_t *o = realloc(*order, b->rows * sizeof(*o));
            if (o == NULL) return cs_error_set(err, CS_ENOMEM, "out of memory");
            *order = o;
            *order_cap = b->rows;
        }
        for (size_t k = 0; k < b->rows; k++)
            (*order)[k] = k;
        /* insertion sort: agent_key is unique within a day, and out-of-order rows are rare */
        size_t *o = *order;
        for (size_t k = 1; k < b->rows; k++) {
            const size_t x = o[k];
            size_t m = k;
            while (m > 0 && key[o[m - 1]] > key[x]) {
                o[m] = o[m - 1];
                m--;
            }
            o[m] = x;
        }
        ord = o;
    }
    if (!da_append(r, b, ord)) return cs_error_set(err, CS_ENOMEM, "out of memory");
    return CS_OK;
}

static int
da_stored(struct cs_snap *snap, int32_t lo, int32_t hi, struct cs_result *r, struct cs_error *err)
{
    size_t first = 0, end = 0, *order = NULL, order_cap = 0;
    cs_snap_part_range(snap, CS_T_AGG_DAILY, lo, hi, &first, &end);
    struct cs_batch b;
    cs_batch_init(&b, cs_schema_table(CS_T_AGG_DAILY));
    int rc = CS_OK;
    for (size_t i = first; i < end && rc == CS_OK;) {
        const size_t day_end = cs_snap_part_end(snap, CS_T_AGG_DAILY, i);
        rc = da_stored_part(snap, i, day_end, &b, &order, &order_cap, r, err);
        i = day_end;
    }
    cs_batch_free(&b);
    free(order);
    return rc;
}

int cs_report_daily_agg(struct cs_snap *snap,
                        const struct cs_report_params *p,
                        struct cs_result **out,
                        struct cs_error *err)
{
    *out = NULL;
    const struct cs_table_def *t = cs_schema_table(CS_T_AGG_DAILY);
    struct cs_result_coldef defs[CS_AGG_NCOLS];
    for (size_t j = 0; j < CS_AGG_NCOLS; j++) {
        defs[j] = (struct cs_result_coldef){t->cols[j].name, t->cols[j].type, t->cols[j].scale};
    }
    struct cs_result *r = cs_result_new(CS_AGG_NCOLS, defs);
    if (r == NULL) return cs_error_set(err, CS_ENOMEM, "out of memory");
    /* time_keys of years 1..9999 only */
    const int64_t min_days = cs_days_from_civil(1, 1, 1),
                  max_days = cs_days_from_civil(9999, 12, 31);
    const int64_t from = p->from_days < min_days ? min_days : p->from_days;
    const int64_t to = p->to_days > max_days ? max_days : p->to_days;
    int rc = CS_OK;
    if (from <= to) {
        const int32_t lo = cs_time_key_from_days(from), hi = cs_time_key_from_days(to);
        const struct da_filter every = {(1u << DA_TABLES) - 1, NULL, NULL};
        rc = p->recompute ? da_run(snap, lo, hi, &every, p->threads, r, NULL, NULL, NULL, err)
                          : da_stored(snap, lo, hi, r, err);
    }
    if (rc != CS_OK) {
        cs_result_free(r);
        return rc;
    }
    *out = r;
    return CS_OK;
}
