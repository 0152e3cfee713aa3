/*
 * The table scan (query/scan.h) against a brute-force filter: a store of three fact tables
 * with randomized, NULL-heavy partitions (columns all NULL, mostly NULL, constant, from small
 * domains so that equality hits), scanned with thousands of random predicate trees (every
 * comparison, IN lists with and without NULL, IS NULL, boolean columns, constants, AND / OR /
 * NOT nested three deep) and random projections, random time bounds and partition ranges.
 * Every returned row, and every value of it, must be exactly what a row-at-a-time evaluation
 * of SQL's three-valued logic over all rows keeps. Also: exact rescaling of numeric
 * constants, zone-map pruning and its statistics, and bad predicates refused.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "query/scan.h"
#include "storage/base/pgtext.h"
#include "storage/store.h"

static uint64_t rng = 11;
static uint32_t rnd(uint32_t n)
{
    rng = rng * 6364136223846793005u + 1442695040888963407u;
    return (uint32_t)((rng >> 33) % n);
}

static const char *const words[] = {"", "a", "ab", "b", "pending", "approved", "zé", "a,b", "Z"};
#define NWORDS (sizeof(words) / sizeof(words[0]))

/* Per partition and column: how its values are drawn. */
enum mode { M_NONE_NULL, M_SOME_NULL, M_MOST_NULL, M_ALL_NULL, M_CONST, M_NMODES };

static int64_t small_value(int type)
{
    switch (type) {
    case CS_TY_DATE:
        return 20000 + (int64_t)rnd(6);
    case CS_TY_TIMESTAMPTZ:
        return INT64_C(1735689600000000) + (int64_t)rnd(8) * 1000;
    case CS_TY_NUMERIC:
        return (int64_t)rnd(9) * 25 - 100;
    case CS_TY_BOOL:
        return rnd(2);
    default:
        return (int64_t)rnd(11) - 5;
    }
}

static void push_value(
    struct cs_col *c, const struct cs_column_def *d, int mode, int64_t cval, size_t r, int32_t tk)
{
    bool null = mode == M_ALL_NULL || (mode == M_SOME_NULL && rnd(4) == 0) ||
                (mode == M_MOST_NULL && rnd(10) != 0);
    if (d->flags & CS_COL_KEY) {
        cr_assert(cs_col_push_i64(c, (int64_t)tk * 100000 + (int64_t)r));
        return;
    }
    if (strcmp(d->name, "time_key") == 0) {
        cr_assert(cs_col_push_i64(c, tk));
        return;
    }
    if (null) {
        cr_assert(cs_col_push_null(c));
        return;
    }
    const int64_t v = mode == M_CONST ? cval : small_value(d->type);
    switch (c->kind) {
    case CS_K_I64:
        cr_assert(cs_col_push_i64(c, v));
        break;
    case CS_K_BOOL:
        cr_assert(cs_col_push_bool(c, v != 0));
        break;
    case CS_K_STR: {
        const char *w = words[(mode == M_CONST ? (uint64_t)cval : rnd(NWORDS)) % NWORDS];
        if (d->type == CS_TY_TEXT_ARRAY) w = rnd(2) ? "{a,b}" : "{}";
        if (d->type == CS_TY_JSONB) w = rnd(2) ? "{\"a\": 1}" : "[]";
        cr_assert(cs_col_push_str(c, w, strlen(w)));
        break;
    }
    default: {
        uint8_t h[16] = {0};
        h[0] = (uint8_t)(mode == M_CONST ? cval : rnd(4));
        h[15] = (uint8_t)rnd(3);
        cr_assert(cs_col_push_fix16(c, h));
        break;
    }
    }
}

static const int tables[] = {CS_T_FACT_AGENT_QUERY, CS_T_FACT_APPROVAL, CS_T_FACT_TRAINING};
#define NDAYS 14
static char dir[64];
static struct cs_store *store;
static struct cs_snap *snap;

static void build_store(void)
{
    snprintf(dir, sizeof(dir), "/tmp/cs_scan_test_XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    struct cs_error err = {0};
    cr_assert_eq(cs_store_open(dir, CS_OPEN_WRITE | CS_OPEN_CREATE, &store, &err), CS_OK, "%s",
                 err.message);
    struct cs_txn *txn = NULL;
    cr_assert_eq(cs_txn_begin(store, &txn, &err), CS_OK, "%s", err.message);
    for (size_t ti = 0; ti < 3; ti++) {
        const struct cs_table_def *t = cs_schema_table(tables[ti]);
        struct cs_batch b;
        cs_batch_init(&b, t);
        for (int d = 0; d < NDAYS; d++) {
            const int32_t tk = 20250101 + d;
            const size_t rows = d == 3 ? 1 : rnd(5) == 0 ? rnd(20) + 1 : rnd(5000) + 1;
            int modes[CS_MAX_COLS];
            int64_t consts[CS_MAX_COLS];
            for (int c = 0; c < t->ncols; c++) {
                modes[c] = (int)rnd(M_NMODES);
                consts[c] = small_value(t->cols[c].type);
            }
            for (size_t r = 0; r < rows; r++) {
                for (int c = 0; c < t->ncols; c++)
                    push_value(&b.cols[c], &t->cols[c], modes[c], consts[c], r, tk);
                b.rows++;
            }
            cr_assert_eq(cs_txn_put_part(txn, t->id, tk, &b, &err), CS_OK, "%s", err.message);
            cs_batch_reset(&b);
        }
        cs_batch_free(&b);
    }
    cr_assert_eq(cs_txn_commit(txn, &err), CS_OK, "%s", err.message);
    cr_assert_eq(cs_snap_open(store, &snap, &err), CS_OK, "%s", err.message);
}

static void rm_store(void)
{
    cs_snap_close(snap);
    cs_store_close(store);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

/* ---- random predicates and the brute-force evaluator ---- */

static int visible_col(const struct cs_table_def *t)
{
    for (;;) {
        const int c = (int)rnd(t->ncols);
        if (!(t->cols[c].flags & CS_COL_HIDDEN)) return c;
    }
}

static void hex_of(uint32_t a, uint32_t b, char out[33])
{
    uint8_t h[16] = {0};
    h[0] = (uint8_t)a;
    h[15] = (uint8_t)b;
    cs_fmt_hash16(out, h);
}

static struct cs_scan_pred *rand_leaf(const struct cs_table_def *t)
{
    const int c = visible_col(t);
    const struct cs_column_def *d = &t->cols[c];
    const int kind = d->type == CS_TY_HASH16 ? CS_K_STR : cs_type_kind(d->type);
    const uint32_t pick = rnd(10);
    if (pick == 0 || d->type == CS_TY_JSONB || d->type == CS_TY_TEXT_ARRAY)
        return cs_scan_pred_is_null(c);
    if (pick == 1) return cs_scan_pred_const((int)rnd(3));
    if (pick == 2 && d->type == CS_TY_BOOL) return cs_scan_pred_bool(c);
    const bool in = pick >= 8;
    const int cmp = (int)rnd(6);
    if (kind == CS_K_STR) {
        char hex[8][33];
        const char *s[8];
        size_t len[8];
        const size_t n = in ? rnd(4) + 1 : 1;
        for (size_t i = 0; i < n; i++) {
            if (d->type == CS_TY_HASH16) {
                hex_of(rnd(5), rnd(4), hex[i]);
                s[i] = rnd(8) == 0 ? "zz" : hex[i];
            } else {
                s[i] = words[rnd(NWORDS)];
            }
            len[i] = strlen(s[i]);
        }
        return in ? cs_scan_pred_in_str(c, s, len, n, rnd(3) == 0)
                  : cs_scan_pred_cmp_str(c, cmp, s[0], len[0]);
    }
    int64_t v[8];
    const size_t n = in ? rnd(5) + 1 : 1;
    for (size_t i = 0; i < n; i++)
        v[i] = rnd(6) == 0 ? (int64_t)rnd(2000) - 1000 : small_value(d->type);
    if (d->flags & CS_COL_KEY) v[0] = 20250101LL * 100000 + 3 * 100000 + (int64_t)rnd(3);
    if (strcmp(d->name, "time_key") == 0) v[0] = 20250101 + (int64_t)rnd(NDAYS + 2) - 1;
    return in ? cs_scan_pred_in_i64(c, v, n, rnd(3) == 0) : cs_scan_pred_cmp_i64(c, cmp, v[0]);
}

static struct cs_scan_pred *rand_pred(const struct cs_table_def *t, int depth)
{
    const uint32_t pick = rnd(depth > 0 ? 6 : 1);
    if (pick < 3) return rand_leaf(t);
    if (pick == 3) {
        struct cs_scan_pred *a = rand_pred(t, depth - 1);
        return cs_scan_pred_logic(CS_SCAN_NOT, &a, 1);
    }
    struct cs_scan_pred *args[4];
    const size_t n = rnd(3) + 1;
    for (size_t i = 0; i < n; i++)
        args[i] = rand_pred(t, depth - 1);
    return cs_scan_pred_logic(pick == 4 ? CS_SCAN_AND : CS_SCAN_OR, args, n);
}

/* The value of column c at row r as text (hashes as hex), NULL when NULL. */
static const char *text_at(const struct cs_batch *b, int c, size_t r, char *buf, size_t *len)
{
    const struct cs_col *col = &b->cols[c];
    if (cs_col_is_null(col, r)) return NULL;
    if (col->kind == CS_K_FIX16) {
        *len = cs_fmt_hash16(buf, col->fix16 + 16 * r);
        return buf;
    }
    return cs_col_str(col, r, len);
}

static int bytes_cmp(const char *a, size_t al, const char *b, size_t bl)
{
    const int c = memcmp(a, b, al < bl ? al : bl);
    return c != 0 ? c : (al > bl) - (al < bl);
}

static bool holds(int c, int cmp)
{
    switch (cmp) {
    case CS_CMP_EQ:
        return c == 0;
    case CS_CMP_NE:
        return c != 0;
    case CS_CMP_LT:
        return c < 0;
    case CS_CMP_LE:
        return c <= 0;
    case CS_CMP_GT:
        return c > 0;
    default:
        return c >= 0;
    }
}

/* Row-at-a-time three-valued logic: 0 false, 1 unknown, 2 true. */
static int brute(const struct cs_scan_pred *p, const struct cs_batch *b, size_t r)
{
    switch (p->op) {
    case CS_SCAN_CONST:
        return p->truth;
    case CS_SCAN_NOT:
        return 2 - brute(p->args[0], b, r);
    case CS_SCAN_AND:
    case CS_SCAN_OR: {
        int acc = p->op == CS_SCAN_AND ? 2 : 0;
        for (size_t i = 0; i < p->nargs; i++) {
            const int x = brute(p->args[i], b, r);
            acc = p->op == CS_SCAN_AND ? (x < acc ? x : acc) : (x > acc ? x : acc);
        }
        return acc;
    }
    default:
        break;
    }
    const struct cs_col *col = &b->cols[p->col];
    const bool null = cs_col_is_null(col, r);
    if (p->op == CS_SCAN_IS_NULL) return null ? 2 : 0;
    if (null) return 1;
    if (p->op == CS_SCAN_BOOL) return col->b8[r] ? 2 : 0;
    if (col->kind == CS_K_STR || col->kind == CS_K_FIX16) {
        char buf[64];
        size_t len = 0;
        const char *s = text_at(b, p->col, r, buf, &len);
        if (p->op == CS_SCAN_CMP) return holds(bytes_cmp(s, len, p->s, p->len), p->cmp) ? 2 : 0;
        for (size_t i = 0; i < p->nk; i++) {
            if (bytes_cmp(s, len, p->sk[i], p->sklen[i]) == 0) return 2;
        }
        return p->in_null ? 1 : 0;
    }
    const int64_t x = col->kind == CS_K_BOOL ? col->b8[r] : col->i64[r];
    if (p->op == CS_SCAN_CMP) return holds((x > p->k) - (x < p->k), p->cmp) ? 2 : 0;
    for (size_t i = 0; i < p->nk; i++) {
        if (p->ik[i] == x) return 2;
    }
    return p->in_null ? 1 : 0;
}

/* Whether scan column sc (row sr) equals batch column c (row r). */
static void
check_value(const struct cs_col *sc, size_t sr, const struct cs_batch *b, int c, size_t r)
{
    const struct cs_col *bc = &b->cols[c];
    cr_assert_eq(cs_col_is_null(sc, sr), cs_col_is_null(bc, r), "column %s",
                 b->table->cols[c].name);
    if (cs_col_is_null(bc, r)) return;
    if (bc->kind == CS_K_FIX16) {
        char buf[64];
        size_t len = 0, slen = 0;
        const char *want = text_at(b, c, r, buf, &len);
        const char *got = cs_col_str(sc, sr, &slen);
        cr_assert(slen == len && memcmp(want, got, len) == 0);
        return;
    }
    cr_assert(cs_col_equal_at(sc, sr, bc, r), "column %s row %zu", b->table->cols[c].name, r);
}

struct expect {
    struct cs_batch parts[NDAYS];
};

static void run_one(const struct cs_table_def *t, struct expect *ex, int iter)
{
    struct cs_scan_pred *pred = rnd(10) == 0 ? NULL : rand_pred(t, 3);
    int cols[CS_MAX_COLS];
    size_t ncols = rnd(5);
    for (size_t j = 0; j < ncols; j++)
        cols[j] = visible_col(t);
    struct cs_scan_opts o = {cols, ncols, pred, 0, 0, 0, 0};
    if (rnd(4) == 0) o.tk_min = 20250101 + (int32_t)rnd(NDAYS);
    if (rnd(4) == 0) o.tk_max = 20250101 + (int32_t)rnd(NDAYS);
    if (rnd(4) == 0) {
        o.part_first = rnd(NDAYS + 1);
        o.part_count = rnd(NDAYS);
    }
    struct cs_error err = {0};
    struct cs_scan *s = NULL;
    cr_assert_eq(cs_scan_open(snap, t, &o, &s, &err), CS_OK, "%s", err.message);
    const size_t end = o.part_count == 0 ? NDAYS : o.part_first + o.part_count;
    size_t part = 0, want_rows = 0, got_rows = 0;
    size_t r = 0;
    const struct cs_scan_batch *batch = NULL;
    cr_assert_eq(cs_scan_next(s, &batch, &err), CS_OK, "%s", err.message);
    for (part = 0; part < NDAYS; part++) {
        const int32_t tk = 20250101 + (int32_t)part;
        const bool in_range = part >= o.part_first && part < end &&
                              (o.tk_min == 0 || tk >= o.tk_min) &&
                              (o.tk_max == 0 || tk <= o.tk_max);
        const struct cs_batch *b = &ex->parts[part];
        size_t sr = 0;
        for (r = 0; in_range && r < b->rows; r++) {
            if (pred != NULL && brute(pred, b, r) != 2) continue;
            want_rows++;
            cr_assert_not_null(batch, "iteration %d: scan ended before %s day %zu row %zu", iter,
                               t->name, part, r);
            cr_assert_eq(batch->part, part, "iteration %d: batch of partition %zu, expected %zu",
                         iter, batch->part, part);
            cr_assert_eq(batch->ncols, ncols);
            for (size_t j = 0; j < ncols; j++)
                check_value(batch->cols[j], sr, b, cols[j], r);
            sr++;
            got_rows++;
        }
        if (batch != NULL && batch->part == part) {
            cr_assert_eq(batch->rows, sr, "iteration %d: partition %zu: %zu rows, expected %zu",
                         iter, part, batch->rows, sr);
            cr_assert_eq(cs_scan_next(s, &batch, &err), CS_OK, "%s", err.message);
        }
    }
    cr_assert_null(batch, "iteration %d: extra batch", iter);
    struct cs_scan_stats st;
    cs_scan_stats(s, &st);
    cr_assert_eq(st.rows_returned, want_rows);
    cr_assert_eq(st.parts_total, NDAYS);
    cr_assert_eq(st.parts_out_of_range + st.parts_pruned_time + st.parts_pruned_zone +
                     cs_scan_kept(s),
                 NDAYS);
    cr_assert_eq(st.parts_scanned, cs_scan_kept(s));
    (void)got_rows;
    cs_scan_close(s);
    cs_scan_pred_free(pred);
}

Test(scan, random_predicates_equal_brute_force, .init = build_store, .fini = rm_store)
{
    for (size_t ti = 0; ti < 3; ti++) {
        const struct cs_table_def *t = cs_schema_table(tables[ti]);
        struct expect *ex = calloc(1, sizeof(*ex));
        struct cs_error err = {0};
        for (size_t p = 0; p < NDAYS; p++) {
            cs_batch_init(&ex->parts[p], t);
            cr_assert_eq(cs_snap_read_part(snap, t->id, p, &ex->parts[p], &err), CS_OK);
        }
        for (int it = 0; it < 700; it++)
            run_one(t, ex, it);
        for (size_t p = 0; p < NDAYS; p++)
            cs_batch_free(&ex->parts[p]);
        free(ex);
    }
}

Test(scan, zone_maps_prune_and_count, .init = build_store, .fini = rm_store)
{
    const struct cs_table_def *t = cs_schema_table(CS_T_FACT_APPROVAL);
    struct cs_error err = {0};
    /* time_key = day 5: one partition kept, the others pruned without reading them */
    struct cs_scan_pred *p = cs_scan_pred_cmp_i64(CS_FA_TIME, CS_CMP_EQ, 20250106);
    int cols[] = {CS_FA_KEY};
    struct cs_scan_opts o = {cols, 1, p, 0, 0, 0, 0};
    struct cs_scan *s = NULL;
    cr_assert_eq(cs_scan_open(snap, t, &o, &s, &err), CS_OK, "%s", err.message);
    cr_assert_eq(cs_scan_kept(s), 1);
    cr_assert_eq(cs_scan_kept_part(s, 0), 5);
    const struct cs_scan_batch *b = NULL;
    cr_assert_eq(cs_scan_next(s, &b, &err), CS_OK);
    cr_assert_not_null(b);
    cr_assert_eq(b->time_key, 20250106);
    cr_assert_eq(b->rows, cs_snap_part(snap, t->id, 5).rows);
    cr_assert_eq(b->cols[0]->i64[0], 2025010600000LL); /* tk * 100000 + row 0 */
    struct cs_scan_stats st;
    cs_scan_stats(s, &st);
    cr_assert_eq(st.parts_pruned_zone, NDAYS - 1);
    cr_assert_eq(st.predicates, b->rows);
    cr_assert_eq(st.columns_decoded, 2); /* time_key for the predicate, the key projected */
    cs_scan_close(s);
    cs_scan_pred_free(p);

    /* key > the largest key: every partition pruned by the key's zone map */
    p = cs_scan_pred_cmp_i64(CS_FA_KEY, CS_CMP_GT, INT64_C(2025020000000000));
    o.pred = p;
    cr_assert_eq(cs_scan_open(snap, t, &o, &s, &err), CS_OK, "%s", err.message);
    cr_assert_eq(cs_scan_kept(s), 0);
    cr_assert_eq(cs_scan_next(s, &b, &err), CS_OK);
    cr_assert_null(b);
    cs_scan_close(s);
    cs_scan_pred_free(p);

    /* time bounds, then NOT (time_key < x) pruned by the negated zone test */
    struct cs_scan_pred *lt = cs_scan_pred_cmp_i64(CS_FA_TIME, CS_CMP_LT, 20250110);
    p = cs_scan_pred_logic(CS_SCAN_NOT, &lt, 1);
    o.pred = p;
    o.tk_min = 20250103;
    o.tk_max = 20250111;
    cr_assert_eq(cs_scan_open(snap, t, &o, &s, &err), CS_OK, "%s", err.message);
    cs_scan_stats(s, &st);
    cr_assert_eq(st.parts_pruned_time, NDAYS - 9);
    cr_assert_eq(st.parts_pruned_zone, 7); /* 0103 .. 0109 */
    cr_assert_eq(cs_scan_kept(s), 2);
    cs_scan_close(s);
    cs_scan_pred_free(p);
}

Test(scan, rescale_is_exact)
{
    int cmp;
    int64_t k;
    /* integer column < 1.5  ->  <= 1 */
    cmp = CS_CMP_LT;
    cs_scan_rescale(15, 1, 0, &cmp, &k);
    cr_assert(cmp == CS_CMP_LE && k == 1);
    /* >= -1.5 -> > -2 */
    cmp = CS_CMP_GE;
    cs_scan_rescale(-15, 1, 0, &cmp, &k);
    cr_assert(cmp == CS_CMP_GT && k == -2);
    /* numeric(3,2) = 1.5 -> 150 */
    cmp = CS_CMP_EQ;
    cs_scan_rescale(15, 1, 2, &cmp, &k);
    cr_assert(cmp == CS_CMP_EQ && k == 150);
    /* = 1.005 on scale 2: never (for non-NULL values) */
    cmp = CS_CMP_EQ;
    cs_scan_rescale(1005, 3, 2, &cmp, &k);
    cr_assert(cmp == CS_CMP_LT && k == INT64_MIN);
    /* <> 1.005: always */
    cmp = CS_CMP_NE;
    cs_scan_rescale(1005, 3, 2, &cmp, &k);
    cr_assert(cmp == CS_CMP_GE && k == INT64_MIN);
    /* < 9e18 at scale 6: beyond int64, so every value is below it */
    cmp = CS_CMP_LT;
    cs_scan_rescale(INT64_C(9000000000000000000), 0, 6, &cmp, &k);
    cr_assert(cmp == CS_CMP_GE && k == INT64_MIN);
    cmp = CS_CMP_GT;
    cs_scan_rescale(INT64_C(-9000000000000000000), 0, 6, &cmp, &k);
    cr_assert(cmp == CS_CMP_GE && k == INT64_MIN);
    cmp = CS_CMP_GT;
    cs_scan_rescale(INT64_C(9000000000000000000), 0, 6, &cmp, &k);
    cr_assert(cmp == CS_CMP_LT && k == INT64_MIN);
    /* a scale far beyond the column's: 5e-30 > 0 column units -> > 0 */
    cmp = CS_CMP_GT;
    cs_scan_rescale(5, 30, 2, &cmp, &k);
    cr_assert(cmp == CS_CMP_GT && k == 0);
    cmp = CS_CMP_LE;
    cs_scan_rescale(-5, 30, 2, &cmp, &k);
    cr_assert(cmp == CS_CMP_LE && k == -1);
}

Test(scan, bad_predicates_are_refused, .init = build_store, .fini = rm_store)
{
    const struct cs_table_def *t = cs_schema_table(CS_T_FACT_TRAINING);
    struct cs_error err = {0};
    struct cs_scan *s = NULL;
    struct cs_scan_pred *bad[] = {
        cs_scan_pred_cmp_str(CS_FT_LABELS, CS_CMP_EQ, "{}", 2), /* text[]: IS NULL only */
        cs_scan_pred_bool(CS_FT_CLARITY),                       /* not boolean */
        cs_scan_pred_cmp_i64(CS_FT_SRC_ID, CS_CMP_EQ, 1),       /* hidden */
        cs_scan_pred_cmp_i64(99, CS_CMP_EQ, 1),                 /* no such column */
        cs_scan_pred_cmp_str(CS_FT_CLARITY, CS_CMP_EQ, "1", 1), /* text constant, int column */
        cs_scan_pred_cmp_i64(CS_FT_CLARITY, 17, 1),             /* no such comparison */
        cs_scan_pred_logic(CS_SCAN_AND, NULL, 0),               /* AND of nothing */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct cs_scan_opts o = {NULL, 0, bad[i], 0, 0, 0, 0};
        cr_assert_eq(cs_scan_open(snap, t, &o, &s, &err), CS_EINVAL, "case %zu", i);
        cr_assert_null(s);
        cr_assert_neq(err.message[0], '\0');
        cs_scan_pred_free(bad[i]);
    }
    int cols[] = {CS_FT_SRC_ID};
    struct cs_scan_opts o = {cols, 1, NULL, 0, 0, 0, 0};
    cr_assert_eq(cs_scan_open(snap, t, &o, &s, &err), CS_EINVAL);
}
