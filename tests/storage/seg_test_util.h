/*
 * Helpers shared by the segment and codec tests: build columns, round-trip them through
 * cs_seg_encode*() / cs_seg_decode(), and compare the result row by row.
 */
#ifndef CS_SEG_TEST_UTIL_H
#define CS_SEG_TEST_UTIL_H

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "storage/codec.h"
#include "storage/segment.h"

/* Assert that a and b hold the same rows, NULLs included. */
static inline void assert_cols_equal(const struct cs_col *a, const struct cs_col *b)
{
    cr_assert_eq(a->kind, b->kind);
    cr_assert_eq(a->len, b->len, "rows: %zu vs %zu", a->len, b->len);
    size_t nulls = 0;
    for (size_t i = 0; i < a->len; i++) {
        cr_assert(cs_col_equal_at(a, i, b, i), "row %zu differs", i);
        nulls += cs_col_is_null(a, i);
    }
    cr_assert_eq(b->null_count, nulls);
}

/* Encode c with opts (NULL: defaults), decode it into a fresh column, compare, and return the
 * encoded size. *codec receives the codec the segment uses (may be NULL). */
static inline size_t
roundtrip_opt(const struct cs_col *c, int type, const struct cs_seg_encode_opts *opts, int *codec)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    struct cs_seg_stats st;
    struct cs_error err = {0};
    const struct cs_seg_encode_opts defaults = {CS_CODEC_AUTO, 0};
    int rc = cs_seg_encode_opt(c, type, opts != NULL ? opts : &defaults, &buf, &len, &st, &err);
    cr_assert_eq(rc, CS_OK, "encode: %s", err.message);
    cr_assert_eq(st.rows, c->len);
    cr_assert_eq(cs_seg_check(buf, len, "t.seg", &err), CS_OK, "check: %s", err.message);
    struct cs_col out;
    cs_col_init(&out, c->kind);
    rc = cs_seg_decode(buf, len, &out, "t.seg", &err);
    cr_assert_eq(rc, CS_OK, "decode: %s", err.message);
    assert_cols_equal(c, &out);
    /* Decoding again into the same column reuses it and gives the same rows. */
    rc = cs_seg_decode(buf, len, &out, "t.seg", &err);
    cr_assert_eq(rc, CS_OK, "decode again: %s", err.message);
    assert_cols_equal(c, &out);
    if (codec != NULL) *codec = cs_seg_codec(buf, len);
    cs_col_free(&out);
    free(buf);
    return len;
}

static inline size_t roundtrip(const struct cs_col *c, int type)
{
    return roundtrip_opt(c, type, NULL, NULL);
}

/* A deterministic pseudo-random generator (xorshift64*), so failures reproduce. */
static inline uint64_t test_rand(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

#endif
