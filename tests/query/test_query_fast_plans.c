/*
 * The reports' fast plans (agent / annotator key codes mapped to groups through a table, flags
 * counted from packed bits) against their general plans (cs_report_params.general), on
 * randomized days whose encodings take every branch: key codes of 4 bits (two a byte), of 3
 * and 8 bits, one constant key, keys spanning 9 bits (general plan only), every key NULL; keys
 * missing from the dimension; SCD-2 versions sharing a name; flags NULL, all NULL, all true,
 * one value or NULL (a constant with NULLs); scores NULL, all NULL, constant; days of 0 to
 * 5,000 rows (several vectors, odd tails); and, in a second store, more names than the fast
 * plans take. The expected values of the plans themselves are checked against PostgreSQL by
 * test_query_reports.c and the differential test.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "query/format.h"
#include "query/report.h"
#include "storage/base/pgtext.h"
#include "storage/store.h"

#define NUL INT64_MIN

static uint64_t rng = 3;
static uint32_t rnd(uint32_t n)
{
    rng = rng * 6364136223846793005u + 1442695040888963407u;
    return (uint32_t)((rng >> 33) % n);
}

/* Sets cols[j] = vals[j] (strs[j] when not NULL); every other column gets a filler. */
static void
put_row(struct cs_batch *b, const int *cols, const int64_t *vals, const char **strs, size_t n)
{
    for (size_t j = 0; j < n; j++) {
        struct cs_col *c = &b->cols[cols[j]];
        bool ok;
        if (strs != NULL && strs[j] != NULL) {
            ok = cs_col_push_str(c, strs[j], strlen(strs[j]));
        } else if (vals[j] == NUL) {
            ok = cs_col_push_null(c);
        } else if (c->kind == CS_K_BOOL) {
            ok = cs_col_push_bool(c, vals[j] != 0);
        } else {
            ok = cs_col_push_i64(c, vals[j]);
        }
        cr_assert(ok);
    }
    for (int j = 0; j < b->table->ncols; j++) {
        struct cs_col *c = &b->cols[j];
        if (c->len > b->rows) continue;
        static const uint8_t zero[16] = {0};
        if (!(b->table->cols[j].flags & CS_COL_NOT_NULL)) {
            cr_assert(cs_col_push_null(c));
        } else if (c->kind == CS_K_I64) {
            cr_assert(cs_col_push_i64(c, 1));
        } else if (c->kind == CS_K_BOOL) {
            cr_assert(cs_col_push_bool(c, false));
        } else if (c->kind == CS_K_STR) {
            cr_assert(cs_col_push_str(c, "x", 1));
        } else {
            cr_assert(cs_col_push_fix16(c, zero));
        }
    }
    b->rows++;
}

static void put(struct cs_txn *txn, int table, int32_t tk, struct cs_batch *b)
{
    struct cs_error err = {0};
    if (b->rows > 0)
        cr_assert_eq(cs_txn_put_part(txn, table, tk, b, &err), CS_OK, "%s", err.message);
    cs_batch_reset(b);
}

#define NDAYS 36
static char dir[32];
static struct cs_store *store;
static struct cs_snap *snap;

/* Day d's agent keys: the shape decides the span of its agent_key codes. */
static int64_t day_agent(int d)
{
    switch (d % 6) {
    case 0:
        return 100 + rnd(16); /* 4-bit codes */
    case 1:
        return 7 + rnd(7); /* 3-bit codes */
    case 2:
        return 42; /* one constant key */
    case 3:
        return 1 + rnd(300); /* 9 bits: the general plan */
    case 4:
        return rnd(5) == 0 ? 450 + rnd(3) : 401 + rnd(40); /* keys not in dim_agent */
    default:
        return 150 + rnd(256); /* 8-bit codes */
    }
}

/* Day d's annotator keys (NUL for NULL), as day_agent. */
static int64_t day_annotator(int d)
{
    if (rnd(9) == 0) return NUL;
    switch (d % 5) {
    case 0:
        return 1 + rnd(16); /* 4-bit codes */
    case 1:
        return 3 + rnd(5); /* 3-bit codes */
    case 2:
        return 9; /* one constant key (and NULLs) */
    case 3:
        return 1 + rnd(300); /* 9 bits: the general plan */
    default:
        return 25 + rnd(40); /* 6-bit codes; keys over 60 not in dim_user */
    }
}

static int64_t score(int d, unsigned which)
{
    if (d % 6 == 5 && which == 1) return NUL; /* every row NULL */
    if (d % 6 == 4 && which == 2) return 4;   /* one value */
    if (rnd(8) == 0) return NUL;
    return which == 0 ? 100 + rnd(401) : 1 + rnd(5); /* overall_score is numeric(3,2) */
}

static void build_store(int agent_names, int user_names)
{
    (void)snprintf(dir, sizeof(dir), "/tmp/cs_fast_plans_XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    struct cs_error err = {0};
    cr_assert_eq(cs_store_open(dir, CS_OPEN_WRITE | CS_OPEN_CREATE, &store, &err), CS_OK, "%s",
                 err.message);
    struct cs_txn *txn;
    cr_assert_eq(cs_txn_begin(store, &txn, &err), CS_OK, "%s", err.message);
    struct cs_batch b;
    cs_batch_init(&b, cs_schema_table(CS_T_DIM_TIME));
    for (int64_t d = cs_days_from_civil(2025, 1, 1); d <= cs_days_from_civil(2025, 2, 15); d++) {
        const int cols[] = {CS_TIME_KEY, CS_TIME_FULL_DATE, CS_TIME_YEAR, CS_TIME_MONTH,
                            CS_TIME_MONTH_NAME};
        const int64_t v[] = {cs_time_key_from_days(d), d, 2025,
                             d < cs_days_from_civil(2025, 2, 1) ? 1 : 2, 0};
        const char *s[] = {NULL, NULL, NULL, NULL, "January  "};
        put_row(&b, cols, v, s, 5);
    }
    put(txn, CS_T_DIM_TIME, 0, &b);
    cs_batch_free(&b);
    /* keys 1..440 but every 50th; 37 names, so SCD-2 versions share them */
    cs_batch_init(&b, cs_schema_table(CS_T_DIM_AGENT));
    for (int64_t k = 1; k <= 440; k++) {
        if (k % 50 == 0) continue;
        char name[16];
        (void)snprintf(name, sizeof(name), "agent-%02d", (int)(k % agent_names));
        const int cols[] = {CS_AGENT_KEY, CS_AGENT_NAME};
        const int64_t v[] = {k, 0};
        const char *s[] = {NULL, name};
        put_row(&b, cols, v, s, 2);
    }
    put(txn, CS_T_DIM_AGENT, 0, &b);
    cs_batch_free(&b);
    /* user keys 1..60 but every 7th */
    cs_batch_init(&b, cs_schema_table(CS_T_DIM_USER));
    for (int64_t k = 1; k <= 60; k++) {
        if (k % 7 == 0) continue;
        char name[16];
        (void)snprintf(name, sizeof(name), "user-%02d", (int)(k % user_names));
        const int cols[] = {CS_USER_KEY, CS_USER_ID};
        const int64_t v[] = {k, 0};
        const char *s[] = {NULL, name};
        put_row(&b, cols, v, s, 2);
    }
    put(txn, CS_T_DIM_USER, 0, &b);
    cs_batch_free(&b);
    cs_batch_init(&b, cs_schema_table(CS_T_FACT_TRAINING));
    for (int d = 0; d < NDAYS; d++) {
        const int32_t tk = cs_time_key_from_days(cs_days_from_civil(2025, 1, 2) + d);
        const uint32_t n = d % 7 == 3 ? 0 : d % 5 == 2 ? 3000 + rnd(2000) : rnd(1500);
        for (uint32_t i = 0; i < n; i++) {
            const int cols[] = {CS_FT_AGENT,   CS_FT_TIME,    CS_FT_ANNOTATOR, CS_FT_SAFE,
                                CS_FT_OVERALL, CS_FT_CLARITY, CS_FT_ACCURACY,  CS_FT_TONE};
            /* safe_to_send: random with NULLs; every fourth day false or NULL (a constant) */
            const int64_t safe = rnd(5) == 0 ? NUL : d % 4 == 1 ? 0 : rnd(2);
            const int64_t ann = d % 11 == 10 ? NUL : day_annotator(d);
            const int64_t v[] = {1,           tk,          ann,         safe,
                                 score(d, 0), score(d, 1), score(d, 2), score(d, 3)};
            put_row(&b, cols, v, NULL, 8);
        }
        put(txn, CS_T_FACT_TRAINING, tk, &b);
    }
    cs_batch_free(&b);
    cs_batch_init(&b, cs_schema_table(CS_T_FACT_AGENT_QUERY));
    for (int d = 0; d < NDAYS; d++) {
        const int32_t tk = cs_time_key_from_days(cs_days_from_civil(2025, 1, 2) + d);
        const uint32_t n = d % 7 == 6 ? 0 : d % 5 == 0 ? 4000 + rnd(1000) : rnd(2500);
        const int flags =
            d % 4; /* approved: 0 random, NULLs, 1 all NULL, 2 all true, 3 true or NULL */
        for (uint32_t i = 0; i < n; i++) {
            const int cols[] = {CS_FQ_AGENT,    CS_FQ_TIME,         CS_FQ_LATENCY,
                                CS_FQ_APPROVED, CS_FQ_HUMAN_EDITED, CS_FQ_ERROR};
            const int64_t appr = flags == 1    ? NUL
                                 : flags == 2  ? 1
                                 : flags == 3  ? (rnd(4) == 0 ? NUL : 1) /* one value: BOOL_CONST */
                                 : rnd(6) == 0 ? NUL
                                               : rnd(2);
            const int64_t v[] = {day_agent(d), tk, rnd(100000), appr, d % 8 == 3 ? 0 : rnd(2),
                                 rnd(2)};
            put_row(&b, cols, v, NULL, 6);
        }
        put(txn, CS_T_FACT_AGENT_QUERY, tk, &b);
    }
    cs_batch_free(&b);
    cr_assert_eq(cs_txn_commit(txn, &err), CS_OK, "%s", err.message);
    cr_assert_eq(cs_snap_open(store, &snap, &err), CS_OK, "%s", err.message);
}

static void drop(void)
{
    cs_snap_close(snap);
    cs_store_close(store);
    char cmd[256];
    (void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    (void)system(cmd);
}

static char *csv(int (*fn)(struct cs_snap *,
                           const struct cs_report_params *,
                           struct cs_result **,
                           struct cs_error *),
                 struct cs_report_params p,
                 size_t *rows)
{
    struct cs_result *r = NULL;
    struct cs_error err = {0};
    cr_assert_eq(fn(snap, &p, &r, &err), CS_OK, "%s", err.message);
    *rows = r->rows;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_eq(cs_result_write(f, r, CS_OUT_CSV, &err), CS_OK);
    fclose(f);
    cs_result_free(r);
    return buf;
}

static void build_few_names(void)
{
    build_store(37, 20);
}

static void build_many_names(void)
{
    build_store(70, 60); /* more groups than either fast plan takes */
}

typedef int (*report_fn)(struct cs_snap *,
                         const struct cs_report_params *,
                         struct cs_result **,
                         struct cs_error *);

/* Every window of the store: the fast plans' CSV equals the general plans'; returns the rows. */
static size_t fast_equals_general(report_fn fn)
{
    size_t total = 0;
    for (int as_of = 0; as_of < NDAYS + 2; as_of += 3) {
        for (int days = 0; days <= 9; days += 3) {
            struct cs_report_params p = {
                .as_of_days = cs_days_from_civil(2025, 1, 1) + as_of, .days = days, .threads = 2};
            size_t n1 = 0, n2 = 0;
            char *fast = csv(fn, p, &n1);
            p.general = true;
            char *gen = csv(fn, p, &n2);
            cr_assert_str_eq(fast, gen, "as_of +%d days %d", as_of, days);
            total += n1;
            free(fast);
            free(gen);
        }
    }
    return total;
}

TestSuite(fast_plans, .init = build_few_names, .fini = drop);

Test(fast_plans, agent_performance_fast_equals_general)
{
    const size_t rows = fast_equals_general(cs_report_agent_performance);
    cr_assert_gt(rows, 500, "the windows hold rows: %zu", rows);
}

Test(fast_plans, training_quality_fast_equals_general)
{
    const size_t rows = fast_equals_general(cs_report_training_quality);
    cr_assert_gt(rows, 100, "the windows hold rows: %zu", rows);
}

TestSuite(many_names, .init = build_many_names, .fini = drop);

Test(many_names, agent_performance_fast_equals_general)
{
    const size_t rows = fast_equals_general(cs_report_agent_performance);
    cr_assert_gt(rows, 500, "the windows hold rows: %zu", rows);
}

Test(many_names, training_quality_fast_equals_general)
{
    const size_t rows = fast_equals_general(cs_report_training_quality);
    cr_assert_gt(rows, 100, "the windows hold rows: %zu", rows);
}
