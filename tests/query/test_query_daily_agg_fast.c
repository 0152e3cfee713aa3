/*
 * The daily aggregate kernel's fast plan (dense slots, flag-code histograms, sampled latency
 * thresholds and tail selection, including days whose sample misleads it)
 * against its general plan (cs_dagg_day_generic) on randomized days, from batches
 * (cs_dagg_day) and from a store through column views (cs_dagg_day_views); edge cases of the
 * p95 ranks; and cs_percentile_cont_tmp against sorting.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "query/daily_agg.h"
#include "query/percentile.h"
#include "query/report.h"
#include "storage/base/pgtext.h"
#include "storage/store.h"

#define NUL INT64_MIN

static uint64_t rng;
static uint64_t rnd(uint64_t n)
{
    rng = rng * 6364136223846793005u + 1442695040888963407u;
    return (rng >> 17) % n;
}

static void push(struct cs_col *c, int64_t v)
{
    if (v == NUL) {
        cr_assert(cs_col_push_null(c));
    } else if (c->kind == CS_K_BOOL) {
        cr_assert(cs_col_push_bool(c, v != 0));
    } else {
        cr_assert(cs_col_push_i64(c, v));
    }
}

/* Fill every column of a batch row (the kernel's columns from vals, the others with a filler),
 * so that the batch can also be stored. */
static void row(struct cs_batch *b, const int *cols, const int64_t *vals, size_t n)
{
    for (size_t j = 0; j < n; j++)
        push(&b->cols[cols[j]], vals[j]);
    for (int j = 0; j < b->table->ncols; j++) {
        struct cs_col *c = &b->cols[j];
        if (c->len > b->rows) continue;
        if (!(b->table->cols[j].flags & CS_COL_NOT_NULL)) {
            cr_assert(cs_col_push_null(c));
        } else if (c->kind == CS_K_I64) {
            cr_assert(cs_col_push_i64(c, 1));
        } else if (c->kind == CS_K_BOOL) {
            cr_assert(cs_col_push_bool(c, false));
        } else if (c->kind == CS_K_STR) {
            cr_assert(cs_col_push_str(c, "x", 1));
        } else {
            static const uint8_t zero[16] = {0};
            cr_assert(cs_col_push_fix16(c, zero));
        }
    }
    b->rows++;
}

static void
query(struct cs_batch *b, int64_t agent, int64_t lat, int64_t ap, int64_t ed, int64_t er)
{
    static const int cols[] = {CS_FQ_AGENT, CS_FQ_LATENCY, CS_FQ_APPROVED, CS_FQ_HUMAN_EDITED,
                               CS_FQ_ERROR};
    const int64_t v[] = {agent, lat, ap, ed, er};
    row(b, cols, v, 5);
}

static void approval(struct cs_batch *b, int64_t agent, int64_t sla)
{
    static const int cols[] = {CS_FA_AGENT, CS_FA_SLA_MET};
    const int64_t v[] = {agent, sla};
    row(b, cols, v, 2);
}

static void training(struct cs_batch *b, int64_t agent, int64_t safe)
{
    static const int cols[] = {CS_FT_AGENT, CS_FT_SAFE};
    const int64_t v[] = {agent, safe};
    row(b, cols, v, 2);
}

/* A random day: shape chosen by `round` (agent count and key span, latency distribution,
 * NULL rates, sizes). */
static void gen_day(int round, struct cs_batch *q, struct cs_batch *a, struct cs_batch *t)
{
    const int shape = round % 8;
    /* 300 agents: more than the fast plan's slots; 150: more than its packed-flag counting
     * takes (count_flag_bits) */
    const size_t nagents =
        shape == 7 ? (round % 16 == 7 ? 300 : 150) : 1 + rnd(shape == 6 ? 40 : 12);
    const int64_t base = shape == 5 ? -1000 : (int64_t)rnd(100);
    const int64_t stride = shape == 4 ? 1000003 : 1 + (int64_t)rnd(3); /* 4: wide span */
    const size_t nq = shape == 0 ? rnd(5) : rnd(round % 3 == 0 ? 12000 : 3000);
    for (size_t i = 0; i < nq; i++) {
        const int64_t agent = base + stride * (int64_t)rnd(nagents);
        int64_t lat;
        switch (round % 6) {
        case 0:
            lat = (int64_t)rnd(4);
            break; /* many ties */
        case 1:
            lat = (int64_t)exp((double)rnd(1000) / 100.0);
            break; /* long tail */
        case 2:
            lat = (int64_t)rnd(2000) - 1000;
            break; /* negative */
        case 3:
            lat = 99999999 - (int64_t)rnd(3);
            break; /* the numeric limit */
        case 4:
            lat = (int64_t)rnd(100000);
            break;
        default: /* rows the fast plan samples (every 16th is among them) hold the largest values */
            lat = i % 16 == 0 ? 1000000 + (int64_t)rnd(1000) : (int64_t)rnd(100);
            break;
        }
        const uint64_t r = rnd(100);
        /* every fifth day approved is true or NULL: stored as a constant with NULLs */
        const int64_t appr = r < 15 ? NUL : round % 5 == 4 ? 1 : (int64_t)(r & 1);
        query(q, agent, lat, appr, (int64_t)rnd(2), rnd(10) == 0);
    }
    const size_t na = rnd(600), nt = rnd(300);
    for (size_t i = 0; i < na; i++) {
        approval(a, rnd(10) == 0 ? NUL : base + stride * (int64_t)rnd(nagents + 2),
                 rnd(7) == 0 ? NUL : (int64_t)rnd(2));
    }
    for (size_t i = 0; i < nt; i++) {
        training(t, rnd(10) == 0 ? NUL : base + stride * (int64_t)rnd(nagents + 2),
                 rnd(7) == 0 ? NUL : (int64_t)rnd(2));
    }
}

static void assert_same(const struct cs_batch *x, const struct cs_batch *y, int round)
{
    cr_assert_eq(x->rows, y->rows, "round %d: %zu rows vs %zu", round, x->rows, y->rows);
    for (int j = 0; j < CS_AGG_NCOLS; j++) {
        const struct cs_col *a = &x->cols[j], *b = &y->cols[j];
        for (size_t r = 0; r < x->rows; r++) {
            cr_assert_eq(cs_col_is_null(a, r), cs_col_is_null(b, r), "round %d col %d row %zu",
                         round, j, r);
            if (!cs_col_is_null(a, r)) {
                cr_assert_eq(a->i64[r], b->i64[r], "round %d col %d row %zu: %lld vs %lld", round,
                             j, r, (long long)a->i64[r], (long long)b->i64[r]);
            }
        }
    }
}

struct day {
    struct cs_batch q, a, t;
};

static void day_init(struct day *d)
{
    cs_batch_init(&d->q, cs_schema_table(CS_T_FACT_AGENT_QUERY));
    cs_batch_init(&d->a, cs_schema_table(CS_T_FACT_APPROVAL));
    cs_batch_init(&d->t, cs_schema_table(CS_T_FACT_TRAINING));
}

static void day_free(struct day *d)
{
    cs_batch_free(&d->q);
    cs_batch_free(&d->a);
    cs_batch_free(&d->t);
}

/* generic → (rc, rows) of the general plan; the tested plan must give the same. */
static int run_generic(struct cs_dagg_ws *ws, const struct day *d, struct cs_batch *out)
{
    struct cs_error err = {0};
    return cs_dagg_day_generic(ws, 20250101, &d->q, &d->a, &d->t, out, &err);
}

static void batches_equal_the_general_plan(void)
{
    rng = 7;
    struct cs_dagg_ws *ws = cs_dagg_ws_new(), *ref = cs_dagg_ws_new();
    cr_assert(ws != NULL && ref != NULL);
    for (int round = 0; round < 240; round++) {
        struct day d;
        day_init(&d);
        gen_day(round, &d.q, &d.a, &d.t);
        struct cs_batch o1, o2;
        cs_batch_init(&o1, cs_schema_table(CS_T_AGG_DAILY));
        cs_batch_init(&o2, cs_schema_table(CS_T_AGG_DAILY));
        struct cs_error err = {0};
        const int rc1 = cs_dagg_day(ws, 20250101, &d.q, &d.a, &d.t, &o1, &err);
        const int rc2 = run_generic(ref, &d, &o2);
        cr_assert_eq(rc1, rc2, "round %d: %d vs %d (%s)", round, rc1, rc2, err.message);
        if (rc1 == CS_OK) assert_same(&o1, &o2, round);
        cs_batch_free(&o1);
        cs_batch_free(&o2);
        day_free(&d);
    }
    cs_dagg_ws_free(ws);
    cs_dagg_ws_free(ref);
}

/* The kernel with its AVX2 code (where the CPU has it), then with its scalar code only. */
Test(daily_agg_fast, batches_equal_the_general_plan)
{
    batches_equal_the_general_plan();
}

Test(daily_agg_fast, batches_equal_the_general_plan_scalar)
{
    (void)cs_dagg_simd(false);
    batches_equal_the_general_plan();
    (void)cs_dagg_simd(true);
}

static void views_equal_the_general_plan(void)
{
    rng = 11;
    char tmpl[] = "/tmp/cs_dagg_fast_XXXXXX";
    cr_assert_not_null(mkdtemp(tmpl));
    struct cs_error err = {0};
    struct cs_store *st;
    cr_assert_eq(cs_store_open(tmpl, CS_OPEN_WRITE | CS_OPEN_CREATE, &st, &err), CS_OK, "%s",
                 err.message);
    enum { NDAYS = 64 };
    static struct day days[NDAYS];
    struct cs_txn *txn;
    cr_assert_eq(cs_txn_begin(st, &txn, &err), CS_OK, "%s", err.message);
    for (int k = 0; k < NDAYS; k++) {
        day_init(&days[k]);
        gen_day(k, &days[k].q, &days[k].a, &days[k].t);
        const int32_t tk = 20250101 + k % 28 + 100 * (k / 28);
        const struct cs_batch *b[3] = {&days[k].q, &days[k].a, &days[k].t};
        const int tabs[3] = {CS_T_FACT_AGENT_QUERY, CS_T_FACT_APPROVAL, CS_T_FACT_TRAINING};
        for (int t = 0; t < 3; t++) {
            if (b[t]->rows > 0) {
                cr_assert_eq(cs_txn_put_part(txn, tabs[t], tk, b[t], &err), CS_OK, "%s",
                             err.message);
            }
        }
    }
    cr_assert_eq(cs_txn_commit(txn, &err), CS_OK, "%s", err.message);
    struct cs_snap *snap;
    cr_assert_eq(cs_snap_open(st, &snap, &err), CS_OK, "%s", err.message);
    struct cs_dagg_ws *ws = cs_dagg_ws_new(), *ref = cs_dagg_ws_new();
    size_t taken = 0;
    for (int k = 0; k < NDAYS; k++) {
        const int32_t tk = 20250101 + k % 28 + 100 * (k / 28);
        const int tabs[3] = {CS_T_FACT_AGENT_QUERY, CS_T_FACT_APPROVAL, CS_T_FACT_TRAINING};
        size_t part[3];
        for (int t = 0; t < 3; t++) {
            size_t first, end;
            cs_snap_part_range(snap, tabs[t], tk, tk, &first, &end);
            part[t] = first < end ? first : SIZE_MAX;
        }
        struct cs_batch o1, o2;
        cs_batch_init(&o1, cs_schema_table(CS_T_AGG_DAILY));
        cs_batch_init(&o2, cs_schema_table(CS_T_AGG_DAILY));
        bool done = false;
        const int rc1 = cs_dagg_day_views(ws, snap, 20250101, part, &o1, &done, &err);
        struct cs_error e2 = {0};
        const int rc2 =
            cs_dagg_day_generic(ref, 20250101, &days[k].q, &days[k].a, &days[k].t, &o2, &e2);
        if (done || rc1 != CS_OK) {
            taken++;
            cr_assert_eq(rc1, rc2, "day %d: %d vs %d (%s)", k, rc1, rc2, err.message);
            if (rc1 == CS_OK) assert_same(&o1, &o2, k);
        } else {
            cr_assert_eq(o1.rows, 0);
            /* refused (keys not FOR-encoded within 16 bits, or more than 254 of them): the
             * report then reads the columns for cs_dagg_day() */
            struct cs_batch o3;
            cs_batch_init(&o3, cs_schema_table(CS_T_AGG_DAILY));
            const int rc3 =
                cs_dagg_day(ws, 20250101, &days[k].q, &days[k].a, &days[k].t, &o3, &err);
            cr_assert_eq(rc3, rc2);
            if (rc3 == CS_OK) assert_same(&o3, &o2, k);
            cs_batch_free(&o3);
        }
        cs_batch_free(&o1);
        cs_batch_free(&o2);
    }
    cr_assert_gt(taken, NDAYS / 2);
    cs_dagg_ws_free(ws);
    cs_dagg_ws_free(ref);
    cs_snap_close(snap);
    cs_store_close(st);
    for (int k = 0; k < NDAYS; k++)
        day_free(&days[k]);
    char cmd[256];
    (void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpl);
    (void)system(cmd);
}

Test(daily_agg_fast, views_equal_the_general_plan)
{
    views_equal_the_general_plan();
}

Test(daily_agg_fast, views_equal_the_general_plan_scalar)
{
    (void)cs_dagg_simd(false);
    views_equal_the_general_plan();
    (void)cs_dagg_simd(true);
}

/* A worker's next day reuses the thresholds that held the day before: a day like the
 * previous one samples nothing; a day whose latencies jumped above them is still exact (the
 * thresholds are caught too high and the slot redone) and samples again the day after. */
Test(daily_agg_fast, thresholds_carry_to_the_next_day)
{
    struct cs_dagg_ws *ws = cs_dagg_ws_new(), *ref = cs_dagg_ws_new();
    cr_assert(ws != NULL && ref != NULL);
    rng = 5;
    for (int d = 0; d < 4; d++) {
        struct day day;
        day_init(&day);
        const int64_t shift = d == 2 ? 1000000 : 0; /* day 2: every latency much higher */
        for (size_t i = 0; i < 6000; i++)
            query(&day.q, 1 + (int64_t)(i % 3), shift + (int64_t)rnd(5000), 1, 0, 0);
        struct cs_batch o1, o2;
        cs_batch_init(&o1, cs_schema_table(CS_T_AGG_DAILY));
        cs_batch_init(&o2, cs_schema_table(CS_T_AGG_DAILY));
        struct cs_error err = {0};
        const size_t before = cs_dagg_ws_sampled(ws);
        cr_assert_eq(cs_dagg_day(ws, 20250101, &day.q, NULL, NULL, &o1, &err), CS_OK);
        cr_assert_eq(run_generic(ref, &day, &o2), CS_OK);
        assert_same(&o1, &o2, d);
        const size_t sampled = cs_dagg_ws_sampled(ws) - before;
        /* day 0: nothing to carry; day 1: carried; day 2: carried (too low for it: redone);
         * day 3: sampled again */
        cr_assert_eq(sampled, d == 0 || d == 3 ? 3u : 0u, "day %d sampled %zu slots", d, sampled);
        cs_batch_free(&o1);
        cs_batch_free(&o2);
        day_free(&day);
    }
    cs_dagg_ws_free(ws);
    cs_dagg_ws_free(ref);
}

/* One agent's p95 through cs_dagg_day (fast plan) as text, e.g. "290.00". */
static const char *p95_of(const int64_t *lat, size_t n)
{
    static char buf[64];
    struct day d;
    day_init(&d);
    for (size_t i = 0; i < n; i++)
        query(&d.q, 3, lat[i], 1, 0, 0);
    struct cs_batch o1, o2;
    cs_batch_init(&o1, cs_schema_table(CS_T_AGG_DAILY));
    cs_batch_init(&o2, cs_schema_table(CS_T_AGG_DAILY));
    struct cs_dagg_ws *ws = cs_dagg_ws_new();
    struct cs_error err = {0};
    cr_assert_eq(cs_dagg_day(ws, 20250101, &d.q, NULL, NULL, &o1, &err), CS_OK, "%s", err.message);
    cr_assert_eq(run_generic(ws, &d, &o2), CS_OK);
    assert_same(&o1, &o2, -1);
    cr_assert_eq(o1.rows, 1);
    (void)cs_fmt_numeric(buf, o1.cols[CS_AGG_P95_LATENCY].i64[0], 2);
    cs_dagg_ws_free(ws);
    cs_batch_free(&o1);
    cs_batch_free(&o2);
    day_free(&d);
    return buf;
}

Test(daily_agg_fast, p95_edges)
{
    const int64_t one[] = {42};
    cr_assert_str_eq(p95_of(one, 1), "42.00");
    const int64_t two[] = {10, 30}; /* 10 + 20 * 0.95 */
    cr_assert_str_eq(p95_of(two, 2), "29.00");
    const int64_t neg[] = {-5, -1, -3, -2, -4}; /* -2 + 1 * 0.8 */
    cr_assert_str_eq(p95_of(neg, 5), "-1.20");
    static int64_t v[4000];
    for (size_t i = 0; i < 4000; i++)
        v[i] = 7;
    cr_assert_str_eq(p95_of(v, 4000), "7.00");
    /* ties at the ranks: 1000 values, pos 949.05; ranks 949 and 950 both 5 → 5.00 */
    for (size_t i = 0; i < 1000; i++)
        v[i] = i < 900 ? (int64_t)(i % 4) : (i < 980 ? 5 : 6);
    cr_assert_str_eq(p95_of(v, 1000), "5.00");
    /* rank 949 = 5, rank 950 = 9: 5 + 4 * 0.05 = 5.20 */
    for (size_t i = 0; i < 1000; i++)
        v[(i * 389) % 1000] = i < 950 ? (i < 900 ? 1 : 5) : 9;
    cr_assert_str_eq(p95_of(v, 1000), "5.20");
    /* large values just inside numeric(10,2) */
    for (size_t i = 0; i < 600; i++)
        v[i] = 99999999 - (int64_t)(i % 7);
    cr_assert_str_eq(p95_of(v, 600), "99999999.00");
}

Test(daily_agg_fast, int32_extremes_overflow_like_the_general_plan)
{
    struct day d;
    day_init(&d);
    for (int i = 0; i < 700; i++)
        query(&d.q, 1, i % 2 ? INT32_MAX : INT32_MIN, 1, 0, 0);
    struct cs_batch o1, o2;
    cs_batch_init(&o1, cs_schema_table(CS_T_AGG_DAILY));
    cs_batch_init(&o2, cs_schema_table(CS_T_AGG_DAILY));
    struct cs_dagg_ws *ws = cs_dagg_ws_new();
    struct cs_error err = {0};
    cr_assert_eq(cs_dagg_day(ws, 20250101, &d.q, NULL, NULL, &o1, &err), CS_EINPUT);
    cr_assert_eq(run_generic(ws, &d, &o2), CS_EINPUT);
    cs_dagg_ws_free(ws);
    cs_batch_free(&o1);
    cs_batch_free(&o2);
    day_free(&d);
}

static int cmp64(const void *x, const void *y)
{
    const int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
    return (a > b) - (a < b);
}

Test(daily_agg_fast, percentile_tmp_agrees_with_sorting)
{
    static int64_t v[6000], s[6000], tmp[6000];
    rng = 3;
    for (int round = 0; round < 400; round++) {
        const size_t n = 1 + rnd(round % 2 ? 6000 : 600);
        for (size_t i = 0; i < n; i++) {
            switch (round % 4) {
            case 0:
                v[i] = (int64_t)rnd(3);
                break;
            case 1:
                v[i] = rnd(2) ? INT32_MAX - (int64_t)rnd(5) : INT32_MIN + (int64_t)rnd(5);
                break;
            case 2:
                v[i] = (int64_t)i;
                break; /* sorted: the sample sees the order */
            default:
                v[i] = (int64_t)rnd(1u << 20) - (1 << 19);
                break;
            }
            s[i] = v[i];
        }
        qsort(s, n, sizeof(*s), cmp64);
        const double frac = round % 7 == 0 ? 0.3 : 0.95;
        const double pos = frac * (double)(int64_t)(n - 1);
        const size_t lo = (size_t)floor(pos), hi = (size_t)ceil(pos);
        const double want =
            lo == hi ? (double)s[lo] : (double)s[lo] + (double)(s[hi] - s[lo]) * (pos - (double)lo);
        cr_assert_eq(cs_percentile_cont_tmp(v, n, frac, round % 3 ? tmp : NULL), want,
                     "round %d n=%zu", round, n);
    }
}
