/*
 * Segment codec micro-benchmarks (see micro_codec.h): realistic one-day columns of
 * fact_agent_query / fact_approval (~30 K rows), each encoded and decoded through
 * storage/segment.h, the integer columns also read in place as the reports do (a view opened,
 * then every row a vector at a time), plus the bare bit-unpacking kernel at a few widths.
 *
 * Columns: latency_ms log-normal (median 800 ms, sigma 1: a long tail), approved 70% true /
 * 15% false / 15% NULL, created_at_us time-ordered microseconds over one day, query_key
 * sequential, status low-cardinality text, query_hash 16 random bytes, result_size log-normal
 * (median 3,900 bytes, sigma 1.5: a longer tail, as in the generated data) with 10% NULL.
 */
#include "bench/micro_codec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/base/limits.h"
#include "storage/codec.h"
#include "storage/segment.h"
#include "storage/store.h"

#define DAY_ROWS 30000

enum column { LATENCY, APPROVED, CREATED_AT, QUERY_KEY, STATUS, QUERY_HASH, RESULT_SIZE, NCOLUMNS };
static const char *const column_names[NCOLUMNS] = {"latency_ms", "approved_bool", "created_at_us",
                                                   "query_key",  "status_text",   "query_hash16",
                                                   "result_size"};
static const int column_types[NCOLUMNS] = {CS_TY_INT4, CS_TY_BOOL,   CS_TY_TIMESTAMPTZ, CS_TY_INT8,
                                           CS_TY_TEXT, CS_TY_HASH16, CS_TY_INT8};
/* Columns also read through a view, vector by vector. */
static const enum column view_columns[] = {LATENCY, CREATED_AT, RESULT_SIZE};
#define NVIEWS (sizeof(view_columns) / sizeof(view_columns[0]))
static const unsigned unpack_widths[] = {1, 7, 12, 23, 40, 64};
#define NWIDTHS (sizeof(unpack_widths) / sizeof(unpack_widths[0]))

/* Cases: encode and decode of every column, view reads, then unpack at every width. */
enum op { OP_ENCODE, OP_DECODE, OP_VIEW, OP_UNPACK };

struct bench {
    enum op op;
    struct cs_col col, out;
    int type;
    uint8_t *seg;
    size_t seg_len;
    unsigned width;
    uint8_t *packed;
    uint64_t *values;
    struct cs_seg_view view;
    int64_t vec[CS_VECTOR_SIZE];
};

static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

static double uniform(uint64_t *s)
{
    return ((double)(next_rand(s) >> 11) + 0.5) / 9007199254740992.0;
}

static bool push_row(struct cs_col *c, enum column col, size_t i, uint64_t *s, int64_t *t)
{
    static const char *const status[] = {"approved", "pending", "rejected", "expired"};
    const double u = uniform(s);
    switch (col) {
    case LATENCY: {
        const double z = sqrt(-2.0 * log(u)) * cos(6.283185307179586 * uniform(s));
        return cs_col_push_i64(c, (int64_t)exp(log(800.0) + z));
    }
    case RESULT_SIZE: {
        if (u < 0.1) return cs_col_push_null(c);
        const double z = sqrt(-2.0 * log(uniform(s))) * cos(6.283185307179586 * uniform(s));
        return cs_col_push_i64(c, (int64_t)exp(log(3900.0) + 1.5 * z));
    }
    case APPROVED:
        return u < 0.15 ? cs_col_push_null(c) : cs_col_push_bool(c, u < 0.85);
    case CREATED_AT: /* Poisson arrivals: 30 K a day, mean gap 2.88 s */
        *t += (int64_t)(-log(u) * 86400e6 / DAY_ROWS);
        return cs_col_push_i64(c, *t);
    case QUERY_KEY:
        return cs_col_push_i64(c, 10000000 + (int64_t)i);
    case STATUS: {
        const char *v = status[u < 0.6 ? 0 : u < 0.8 ? 1 : u < 0.95 ? 2 : 3];
        return cs_col_push_str(c, v, strlen(v));
    }
    default: {
        uint8_t h[16];
        const uint64_t a = next_rand(s), b = next_rand(s);
        memcpy(h, &a, 8);
        memcpy(h + 8, &b, 8);
        return cs_col_push_fix16(c, h);
    }
    }
}

static bool make_column(struct cs_col *c, enum column col)
{
    static const int kinds[NCOLUMNS] = {CS_K_I64, CS_K_BOOL,  CS_K_I64, CS_K_I64,
                                        CS_K_STR, CS_K_FIX16, CS_K_I64};
    uint64_t seed = 0x9e3779b97f4a7c15ull + (uint64_t)col;
    int64_t t = 1741046400000000; /* 2025-03-04 00:00:00 UTC */
    cs_col_init(c, kinds[col]);
    for (size_t i = 0; i < DAY_ROWS; i++) {
        if (!push_row(c, col, i, &seed, &t)) return false;
    }
    return true;
}

size_t cs_bench_count(void)
{
    return 2 * NCOLUMNS + NVIEWS + NWIDTHS;
}

const char *cs_bench_name(size_t i)
{
    static char names[2 * NCOLUMNS + NVIEWS + NWIDTHS][48];
    if (i >= cs_bench_count()) return NULL;
    if (i < 2 * NCOLUMNS)
        (void)snprintf(names[i], sizeof(names[i]), "%s/%s", i % 2 == 0 ? "encode" : "decode",
                       column_names[i / 2]);
    else if (i < 2 * NCOLUMNS + NVIEWS)
        (void)snprintf(names[i], sizeof(names[i]), "view/%s",
                       column_names[view_columns[i - 2 * NCOLUMNS]]);
    else
        (void)snprintf(names[i], sizeof(names[i]), "unpack/width_%u",
                       unpack_widths[i - 2 * NCOLUMNS - NVIEWS]);
    return names[i];
}

static bool setup_unpack(struct bench *b, unsigned width)
{
    b->width = width;
    b->values = malloc(DAY_ROWS * sizeof(*b->values));
    b->packed = malloc(cs_bitpack_bytes(DAY_ROWS, width) + 1);
    if (b->values == NULL || b->packed == NULL) return false;
    uint64_t seed = 1;
    const uint64_t mask = width == 64 ? ~(uint64_t)0 : (((uint64_t)1 << width) - 1);
    for (size_t i = 0; i < DAY_ROWS; i++)
        b->values[i] = next_rand(&seed) & mask;
    cs_bitpack_pack(b->values, DAY_ROWS, width, 0, b->packed);
    return true;
}

void *cs_bench_setup(size_t i)
{
    struct bench *b = calloc(1, sizeof(*b));
    if (b == NULL || i >= cs_bench_count()) {
        free(b);
        return NULL;
    }
    cs_seg_view_init(&b->view);
    if (i >= 2 * NCOLUMNS + NVIEWS) {
        b->op = OP_UNPACK;
        if (!setup_unpack(b, unpack_widths[i - 2 * NCOLUMNS - NVIEWS])) goto fail;
        return b;
    }
    const enum column col =
        i < 2 * NCOLUMNS ? (enum column)(i / 2) : view_columns[i - 2 * NCOLUMNS];
    b->op = i >= 2 * NCOLUMNS ? OP_VIEW : i % 2 == 0 ? OP_ENCODE : OP_DECODE;
    b->type = column_types[col];
    if (!make_column(&b->col, col)) goto fail;
    cs_col_init(&b->out, b->col.kind);
    struct cs_error err = {0};
    if (cs_seg_encode(&b->col, b->type, &b->seg, &b->seg_len, NULL, &err) != CS_OK) goto fail;
    return b;
fail:
    cs_bench_teardown(b);
    return NULL;
}

bool cs_bench_run(void *state, int64_t iterations)
{
    struct bench *b = state;
    struct cs_error err = {0};
    for (int64_t it = 0; it < iterations; it++) {
        if (b->op == OP_UNPACK) {
            cs_bitpack_unpack(b->packed, DAY_ROWS, b->width, 0, b->values);
        } else if (b->op == OP_VIEW) {
            if (cs_seg_view_open(b->seg, b->seg_len, CS_K_I64, &b->view, "bench", &err) != CS_OK)
                return false;
            for (size_t from = 0; from < DAY_ROWS; from += CS_VECTOR_SIZE) {
                const size_t n =
                    DAY_ROWS - from < CS_VECTOR_SIZE ? DAY_ROWS - from : CS_VECTOR_SIZE;
                cs_seg_view_i64(&b->view, from, n, b->vec);
            }
        } else if (b->op == OP_DECODE) {
            if (cs_seg_decode(b->seg, b->seg_len, &b->out, "bench", &err) != CS_OK) return false;
        } else {
            uint8_t *seg = NULL;
            size_t len = 0;
            if (cs_seg_encode(&b->col, b->type, &seg, &len, NULL, &err) != CS_OK) return false;
            free(seg);
        }
    }
    return true;
}

double cs_bench_values(const void *state)
{
    (void)state;
    return DAY_ROWS;
}

double cs_bench_bytes_per_value(const void *state)
{
    const struct bench *b = state;
    if (b->op == OP_UNPACK) return (double)cs_bitpack_bytes(DAY_ROWS, b->width) / DAY_ROWS;
    return (double)b->seg_len / DAY_ROWS;
}

void cs_bench_teardown(void *state)
{
    struct bench *b = state;
    if (b == NULL) return;
    cs_seg_view_free(&b->view);
    cs_col_free(&b->col);
    cs_col_free(&b->out);
    free(b->seg);
    free(b->packed);
    free(b->values);
    free(b);
}
