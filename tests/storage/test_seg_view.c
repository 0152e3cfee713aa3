/*
 * seg_view: reading a segment's values in place (struct cs_seg_view) gives exactly what
 * cs_seg_decode() gives — ranges of rows, NULL maps, sums, true counts, text equality counts —
 * for every codec, with and without NULLs and LZ4; damaged segments fail, never crash.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "storage/codec.h"
#include "storage/segment.h"

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static uint8_t *encode(const struct cs_col *c, int type, int codec, int comp, size_t *len)
{
    uint8_t *buf = NULL;
    struct cs_seg_stats st;
    struct cs_error err = {0};
    const struct cs_seg_encode_opts o = {codec, comp};
    cr_assert_eq(cs_seg_encode_opt(c, type, &o, &buf, len, &st, &err), CS_OK, "%s", err.message);
    return buf;
}

/* Compare a view of buf with the decoded column, range by range and in aggregate. */
static void check_view(const uint8_t *buf, size_t len, const struct cs_col *c)
{
    struct cs_error err = {0};
    struct cs_col d;
    cs_col_init(&d, c->kind);
    cr_assert_eq(cs_seg_decode(buf, len, &d, "v.seg", &err), CS_OK, "%s", err.message);
    struct cs_seg_view v;
    cs_seg_view_init(&v);
    cr_assert_eq(cs_seg_view_open(buf, len, c->kind, &v, "v.seg", &err), CS_OK, "%s", err.message);
    cr_assert_eq(v.rows, d.len);
    cr_assert_eq(v.null_count, d.null_count);
    enum { STEP = 64 * 3 };
    int64_t i64[STEP];
    uint8_t b8[STEP], nul[STEP];
    __extension__ __int128 sum = 0;
    size_t trues = 0;
    for (size_t from = 0; from < d.len; from += STEP) {
        const size_t n = d.len - from < STEP ? d.len - from : STEP;
        const bool has = cs_seg_view_nulls(&v, from, n, nul);
        cr_assert_eq(has, d.null_count > 0);
        if (d.kind == CS_K_I64) cs_seg_view_i64(&v, from, n, i64);
        if (d.kind == CS_K_BOOL) cs_seg_view_bool(&v, from, n, b8);
        for (size_t i = 0; i < n; i++) {
            const bool is_null = cs_col_is_null(&d, from + i);
            cr_assert_eq(has ? nul[i] : 0, is_null ? 1 : 0, "null of row %zu", from + i);
            if (is_null) continue;
            if (d.kind == CS_K_I64) {
                cr_assert_eq(i64[i], d.i64[from + i], "row %zu", from + i);
                sum += d.i64[from + i];
            }
            if (d.kind == CS_K_BOOL) {
                cr_assert_eq(b8[i], d.b8[from + i], "row %zu", from + i);
                trues += d.b8[from + i];
            }
        }
    }
    if (d.kind == CS_K_I64) {
        int64_t s = 0;
        const bool fits = cs_seg_view_sum_i64(&v, &s);
        cr_assert_eq(fits, sum >= INT64_MIN && sum <= INT64_MAX);
        if (fits) cr_assert_eq(s, (int64_t)sum);
    }
    if (d.kind == CS_K_BOOL) cr_assert_eq(cs_seg_view_count_true(&v), trues);
    if (d.kind == CS_K_STR) {
        /* every distinct value of the first rows, and one that is absent */
        for (size_t k = 0; k <= d.len && k < 12; k++) {
            size_t len_k = 3;
            const char *s = k < d.len ? cs_col_str(&d, k, &len_k) : "zz~";
            size_t want = 0, got = 99;
            for (size_t i = 0; i < d.len; i++) {
                size_t l;
                const char *x = cs_col_str(&d, i, &l);
                want += !cs_col_is_null(&d, i) && l == len_k && (l == 0 || memcmp(x, s, l) == 0);
            }
            cr_assert_eq(cs_seg_view_count_str(&v, s, len_k, &got, &err), CS_OK, "%s", err.message);
            cr_assert_eq(got, want, "count of value %zu", k);
        }
    }
    cs_seg_view_free(&v);
    cs_col_free(&d);
}

static void
make_col(struct cs_col *c, int kind, size_t rows, int null_pct, int distinct, uint64_t seed)
{
    cs_col_init(c, kind);
    static const char *const words[] = {"approved", "rejected",
                                        "pending",  "expired",
                                        "",         "a longer value of more than sixteen bytes",
                                        "x",        "yy"};
    for (size_t i = 0; i < rows; i++) {
        if (null_pct > 0 && (int)(rnd(&seed) % 100) < null_pct) {
            cr_assert(cs_col_push_null(c));
            continue;
        }
        const uint64_t r = rnd(&seed);
        if (kind == CS_K_I64 && distinct < 0) /* a long tail: PFOR exceptions */
            cr_assert(cs_col_push_i64(c, r % 23 == 0 ? (int64_t)(r >> (r % 40)) - 1000
                                                     : (int64_t)(r % 300) - 1000));
        else if (kind == CS_K_I64)
            cr_assert(cs_col_push_i64(c, distinct == 0 ? (int64_t)i * 7 - 5
                                                       : (int64_t)(r % (uint64_t)distinct) - 3));
        if (kind == CS_K_BOOL) cr_assert(cs_col_push_bool(c, distinct == 1 ? true : (r & 1) != 0));
        if (kind == CS_K_STR) {
            const char *w = words[r % (uint64_t)(distinct < 8 ? distinct : 8)];
            cr_assert(cs_col_push_str(c, w, strlen(w)));
        }
    }
}

Test(seg_view, every_codec_reads_as_decode)
{
    static const size_t sizes[] = {0, 1, 7, 8, 63, 64, 65, 127, 128, 129, 256, 257, 1000, 3001};
    static const int nulls[] = {0, 5, 100};
    for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
        for (size_t ni = 0; ni < 3; ni++) {
            for (int comp = -1; comp <= 1; comp += 2) {
                const size_t rows = sizes[si];
                struct cs_col c;
                size_t len;
                uint8_t *b;
                static const int i64_codecs[] = {CS_CODEC_AUTO, CS_CODEC_I64_FOR,
                                                 CS_CODEC_I64_DELTA, CS_CODEC_I64_PFOR,
                                                 CS_CODEC_I64_DELTA_PFOR};
                static const int i64_distinct[] = {1000, 1, 0, 1 << 20, -1};
                for (size_t di = 0; di < 5; di++) {
                    make_col(&c, CS_K_I64, rows, nulls[ni], i64_distinct[di], 7 + rows);
                    for (size_t k = 0; k < 5; k++) {
                        if (c.len == c.null_count && i64_codecs[k] != CS_CODEC_AUTO) continue;
                        b = encode(&c, CS_TY_INT8, i64_codecs[k], comp, &len);
                        check_view(b, len, &c);
                        free(b);
                    }
                    cs_col_free(&c);
                }
                for (int distinct = 1; distinct <= 2; distinct++) {
                    make_col(&c, CS_K_BOOL, rows, nulls[ni], distinct, 11 + rows);
                    b = encode(&c, CS_TY_BOOL, CS_CODEC_AUTO, comp, &len);
                    check_view(b, len, &c);
                    free(b);
                    if (c.len > c.null_count) {
                        b = encode(&c, CS_TY_BOOL, CS_CODEC_BOOL_BITS, comp, &len);
                        check_view(b, len, &c);
                        free(b);
                    }
                    cs_col_free(&c);
                }
                static const int str_distinct[] = {1, 2, 3, 4, 5, 8};
                for (size_t di = 0; di < 6; di++) {
                    make_col(&c, CS_K_STR, rows, nulls[ni], str_distinct[di], 13 + rows);
                    static const int str_codecs[] = {CS_CODEC_AUTO, CS_CODEC_STR_PLAIN,
                                                     CS_CODEC_STR_DICT};
                    for (size_t k = 0; k < 3; k++) {
                        if (c.len == c.null_count && str_codecs[k] != CS_CODEC_AUTO) continue;
                        b = encode(&c, CS_TY_TEXT, str_codecs[k], comp, &len);
                        check_view(b, len, &c);
                        free(b);
                    }
                    cs_col_free(&c);
                }
            }
        }
    }
}

Test(seg_view, wide_values_and_overflowing_sums)
{
    struct cs_col c;
    cs_col_init(&c, CS_K_I64);
    for (int i = 0; i < 300; i++)
        cr_assert(cs_col_push_i64(&c, i % 3 == 0 ? INT64_MAX : (i % 3 == 1 ? INT64_MIN : 5)));
    size_t len;
    uint8_t *b = encode(&c, CS_TY_INT8, CS_CODEC_AUTO, 0, &len);
    check_view(b, len, &c);
    free(b);
    cs_col_free(&c);
    cs_col_init(&c, CS_K_I64);
    for (int i = 0; i < 300; i++)
        cr_assert(cs_col_push_i64(&c, INT64_MAX - i));
    b = encode(&c, CS_TY_INT8, CS_CODEC_I64_FOR, 0, &len);
    check_view(b, len, &c); /* the sum overflows: reported, not wrapped */
    free(b);
    cs_col_free(&c);
}

/* Each range of a PFOR view on its own (any start that is a multiple of 8, any length) holds
 * the decoded rows' values: ranges that start and end inside blocks. */
Test(seg_view, pfor_ranges_starting_and_ending_inside_blocks)
{
    struct cs_col c;
    make_col(&c, CS_K_I64, 3 * 128 + 17, 5, -1, 99);
    size_t len;
    uint8_t *b = encode(&c, CS_TY_INT8, CS_CODEC_I64_PFOR, -1, &len);
    struct cs_error err = {0};
    struct cs_col d;
    cs_col_init(&d, CS_K_I64);
    cr_assert_eq(cs_seg_decode(b, len, &d, "r.seg", &err), CS_OK, "%s", err.message);
    struct cs_seg_view v;
    cs_seg_view_init(&v);
    cr_assert_eq(cs_seg_view_open(b, len, CS_K_I64, &v, "r.seg", &err), CS_OK, "%s", err.message);
    int64_t out[3 * 128 + 17];
    for (size_t from = 0; from < d.len; from += 8) {
        for (size_t n = 0; from + n <= d.len; n += (n < 140 ? 1 : 61)) {
            cs_seg_view_i64(&v, from, n, out);
            for (size_t i = 0; i < n; i++) /* NULL rows hold a filler */
                cr_assert(cs_col_is_null(&d, from + i) || out[i] == d.i64[from + i],
                          "from %zu n %zu row %zu", from, n, i);
        }
    }
    cs_seg_view_free(&v);
    cs_col_free(&d);
    free(b);
    cs_col_free(&c);
}

/* A resealed segment with random damage (a crafted file): the view opens or fails with
 * CS_ECORRUPT; when it opens, every read stays inside the segment (ASan runs this too). */
static void mutate_and_view(const struct cs_col *c, int codec, int comp)
{
    size_t len;
    uint8_t *b = encode(c, CS_TY_INT8, codec, comp, &len);
    uint8_t *t = malloc(len);
    struct cs_seg_view v;
    cs_seg_view_init(&v);
    struct cs_error err = {0};
    uint64_t seed = (uint64_t)codec * 7919 + (uint64_t)(comp + 2);
    int64_t out[256], sum;
    for (int trial = 0; trial < 2000; trial++) {
        memcpy(t, b, len);
        for (int k = 0; k < 1 + (int)(rnd(&seed) % 3); k++)
            t[64 + rnd(&seed) % (len - 64)] = (uint8_t)rnd(&seed);
        const uint64_t h = XXH3_64bits(t + 16, len - 16);
        for (int i = 0; i < 8; i++)
            t[8 + i] = (uint8_t)(h >> (8 * i));
        const int rc = cs_seg_view_open(t, len, CS_K_I64, &v, "m.seg", &err);
        cr_assert(rc == CS_OK || rc == CS_ECORRUPT, "rc %d", rc);
        if (rc != CS_OK) continue;
        for (size_t from = 0; from < v.rows; from += 256)
            cs_seg_view_i64(&v, from, v.rows - from < 256 ? v.rows - from : 256, out);
        (void)cs_seg_view_sum_i64(&v, &sum);
    }
    cs_seg_view_free(&v);
    free(t);
    free(b);
}

Test(seg_view, corrupt_resealed_pfor_segments_never_crash)
{
    struct cs_col c;
    make_col(&c, CS_K_I64, 2 * 128 + 40, 10, -1, 5);
    for (int comp = -1; comp <= 1; comp += 2) {
        mutate_and_view(&c, CS_CODEC_I64_PFOR, comp);
        mutate_and_view(&c, CS_CODEC_I64_DELTA_PFOR, comp);
    }
    cs_col_free(&c);
}

/* A BOOL_BITS segment whose value bit of a NULL row is set (checksum resealed: a crafted file)
 * is damage, for views and for decoding: kernels count true rows from the bits alone. */
Test(seg_view, bool_bit_set_on_a_null_row_is_damage)
{
    struct cs_col c;
    make_col(&c, CS_K_BOOL, 77, 30, 2, 9);
    size_t len, r = 0;
    uint8_t *b = encode(&c, CS_TY_BOOL, CS_CODEC_BOOL_BITS, -1, &len);
    while (!cs_col_is_null(&c, r))
        r++;
    const size_t nb = (c.len + 7) / 8; /* payload: validity bitmap, then the value bits */
    cr_assert_eq(len, 64 + 2 * nb, "an uncompressed BOOL_BITS segment with NULLs");
    struct cs_seg_view v;
    cs_seg_view_init(&v);
    struct cs_error err = {0};
    cr_assert_eq(cs_seg_view_open(b, len, CS_K_BOOL, &v, "b.seg", &err), CS_OK, "%s", err.message);
    b[64 + nb + r / 8] |= (uint8_t)(1u << (r % 8));
    const uint64_t h = XXH3_64bits(b + 16, len - 16);
    for (int i = 0; i < 8; i++)
        b[8 + i] = (uint8_t)(h >> (8 * i));
    cr_assert_eq(cs_seg_view_open(b, len, CS_K_BOOL, &v, "b.seg", &err), CS_ECORRUPT);
    cr_assert(strstr(err.message, "bit set on a NULL row") != NULL, "%s", err.message);
    struct cs_col out;
    cs_col_init(&out, CS_K_BOOL);
    cr_assert_eq(cs_seg_decode(b, len, &out, "b.seg", &err), CS_ECORRUPT);
    cr_assert(strstr(err.message, "bit set on a NULL row") != NULL, "%s", err.message);
    cs_col_free(&out);
    cs_seg_view_free(&v);
    free(b);
    cs_col_free(&c);
}

Test(seg_view, damaged_segments_fail_and_never_crash)
{
    struct cs_col c;
    make_col(&c, CS_K_STR, 500, 5, 4, 3);
    size_t len;
    uint8_t *b = encode(&c, CS_TY_TEXT, CS_CODEC_STR_DICT, -1, &len);
    struct cs_seg_view v;
    cs_seg_view_init(&v);
    struct cs_error err = {0};
    uint8_t *t = malloc(len);
    for (size_t at = 0; at < len; at++) {
        memcpy(t, b, len);
        t[at] ^= 0x10;
        cr_assert_neq(cs_seg_view_open(t, len, CS_K_STR, &v, "d.seg", &err), CS_OK,
                      "flip at %zu undetected", at);
        cr_assert(strstr(err.message, "d.seg") != NULL, "%s", err.message);
    }
    for (size_t n = 0; n < len; n++)
        cr_assert_neq(cs_seg_view_open(b, n, CS_K_STR, &v, "d.seg", &err), CS_OK);
    cr_assert_neq(cs_seg_view_open(b, len, CS_K_I64, &v, "d.seg", &err), CS_OK);
    free(t);
    free(b);
    cs_col_free(&c);
    /* The same for the PFOR codecs. */
    make_col(&c, CS_K_I64, 300, 5, -1, 3);
    for (int codec = CS_CODEC_I64_PFOR; codec <= CS_CODEC_I64_DELTA_PFOR; codec++) {
        b = encode(&c, CS_TY_INT8, codec, -1, &len);
        t = malloc(len);
        for (size_t at = 0; at < len; at++) {
            memcpy(t, b, len);
            t[at] ^= 0x10;
            cr_assert_eq(cs_seg_view_open(t, len, CS_K_I64, &v, "d.seg", &err), CS_ECORRUPT,
                         "codec %d flip at %zu undetected", codec, at);
            cr_assert(strstr(err.message, "d.seg") != NULL, "%s", err.message);
        }
        for (size_t n = 0; n < len; n++) {
            memcpy(t, b, n);
            cr_assert_eq(cs_seg_view_open(t, n, CS_K_I64, &v, "d.seg", &err), CS_ECORRUPT);
        }
        free(t);
        free(b);
    }
    cs_seg_view_free(&v);
    cs_col_free(&c);
}
